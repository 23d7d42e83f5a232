#include "helper.h"
int main(void) { test_init("hugetlb-2m", 10); test_skip("not written yet"); }
