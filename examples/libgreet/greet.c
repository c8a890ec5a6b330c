#include "greet.h"
const char *greet(void) { return "Hello from libgreet"; }
