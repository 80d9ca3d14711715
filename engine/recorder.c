/* placeholder: being written */
typedef int ms__placeholder_recorder;
