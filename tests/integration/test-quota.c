#include "helper.h"
int main(void) { test_init("quota", 10); test_skip("not written yet"); }
