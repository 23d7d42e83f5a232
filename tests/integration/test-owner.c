#include "helper.h"
int main(void) { test_init("owner", 10); test_skip("not written yet"); }
