#include "test-fixture.h"
int main(void) { return 0; }
