/*
 * errors — error codes, their text, and the per-network error message.
 */
#include <stdio.h>

#include "engine/internal.h"

const char *ms_strerror(int code)
{
	switch (code) {
	case MS_OK:
		return "success";
	case MS_EINVAL:
		return "invalid argument";
	case MS_ENOMEM:
		return "out of memory";
	case MS_EIO:
		return "input/output error";
	case MS_ENOENT:
		return "no such file or object";
	case MS_ECONFIG:
		return "malformed configuration";
	case MS_EINTR:
		return "interrupted";
	case MS_ESTATE:
		return "operation not valid in the current state";
	case MS_EFORMAT:
		return "unexpected file format";
	case MS_EUNIT:
		return "wrong unit";
	}
	return "unknown error";
}

const char *ms_dim_unit(ms_dim dim)
{
	static const char *const names[] = {"",   "ms", "mV", "pA",
	                                    "nS", "pF", "Hz", "GOhm"};

	if ((unsigned)dim >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[dim];
}

int ms__err(ms_net *net, int code, const char *fmt, ...)
{
	va_list ap;

	if (!net)
		return code;
	va_start(ap, fmt);
	vsnprintf(net->err, sizeof(net->err), fmt, ap);
	va_end(ap);
	return code;
}

const char *ms_net_errmsg(const ms_net *net)
{
	return net ? net->err : "no network";
}
