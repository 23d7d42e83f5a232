#include "helper.h"
int main(void) { test_init("acl", 10); test_skip("not written yet"); }
