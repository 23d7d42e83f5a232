#include "helper.h"
int main(void) { test_init("connection", 10); test_skip("not written yet"); }
