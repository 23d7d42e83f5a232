#include "helper.h"
int main(void) { test_init("hugetlb-1g", 10); test_skip("not written yet"); }
