#include "helper.h"
int main(void) { test_init("hugetlb-exhausted", 10); test_skip("not written yet"); }
