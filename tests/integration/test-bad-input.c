#include "helper.h"
int main(void) { test_init("bad-input", 10); test_skip("not written yet"); }
