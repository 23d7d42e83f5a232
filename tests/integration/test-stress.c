#include "helper.h"
int main(void) { test_init("stress", 10); test_skip("not written yet"); }
