/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl's sizes (parsed and formatted) and tables. */
#include <stdio.h>
#include <stdlib.h>

#include "size.h"
#include "table.h"

static int failures;

#define check(cond, ...)                                                        \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);    \
                        fprintf(stderr, __VA_ARGS__);                           \
                        fputc('\n', stderr);                                    \
                        failures++;                                             \
                }                                                               \
        } while (0)

static void parse_ok(const char *s, uint64_t want) {
        uint64_t v = 0;
        int r = size_parse(s, &v);
        check(r == 0 && v == want, "size_parse(\"%s\"): %d, %llu; want %llu", s, r, (unsigned long long) v,
              (unsigned long long) want);
}

static void parse_fails(const char *s, int want) {
        uint64_t v = 0;
        int r = size_parse(s, &v);
        check(r == want, "size_parse(\"%s\"): %d, want %d", s, r, want);
}

static void format_is(uint64_t bytes, const char *want) {
        char b[SIZE_FORMAT_MAX];
        check(streq(size_format(b, bytes), want), "size_format(%llu): \"%s\", want \"%s\"",
              (unsigned long long) bytes, b, want);
}

static void test_parse(void) {
        parse_ok("4096", 4096);
        parse_ok("64M", 64ULL << 20);
        parse_ok("64m", 64ULL << 20);
        parse_ok("64MiB", 64ULL << 20);
        parse_ok("64Mi", 64ULL << 20);
        parse_ok("64MB", 64ULL << 20);
        parse_ok("1G", 1ULL << 30);
        parse_ok("1.5G", 3ULL << 29);
        parse_ok("2T", 2ULL << 40);
        parse_ok("4K", 4096);
        parse_ok("512B", 512);
        parse_ok("15E", 15ULL << 60);
        parse_fails("", -EINVAL);
        parse_fails("M", -EINVAL);
        parse_fails("0", -EINVAL);
        parse_fails("-1M", -EINVAL);
        parse_fails("1X", -EINVAL);
        parse_fails("1MX", -EINVAL);
        parse_fails("0.1", -EINVAL);          /* not whole bytes */
        parse_fails("16E", -ERANGE);
        parse_fails("1234567890123456789012", -ERANGE);
}

static void test_format(void) {
        format_is(0, "0 B");
        format_is(1023, "1023 B");
        format_is(1024, "1.0 KiB");
        format_is(4096, "4.0 KiB");
        format_is(960ULL << 20, "960 MiB");
        format_is(128ULL << 20, "128 MiB");
        format_is(1ULL << 30, "1.0 GiB");
        format_is(3ULL << 29, "1.5 GiB");
        format_is(3000, "2.9 KiB");
        format_is(UINT64_MAX, "16 EiB");
}

static void test_table(void) {
        static const char *const headers[] = { "NAME", ">SIZE", "NOTE", NULL };
        Table *t = table_new(headers);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        check(t && f, "table_new, open_memstream");
        table_add(t, "a");
        table_add(t, "1.0 GiB");
        table_add(t, NULL);
        table_add(t, "longer");
        table_add(t, "2 B");
        table_add(t, "é");
        check(table_rows(t) == 2, "rows %zu", table_rows(t));
        check(table_print(t, f, false) == 0, "table_print");
        fclose(f);
        check(streq(buf, "NAME       SIZE  NOTE\n"
                         "a       1.0 GiB  -\n"
                         "longer      2 B  é\n"), "table:\n%s", buf);
        free(buf);
        table_free(t);
}

int main(void) {
        test_parse();
        test_format();
        test_table();
        return failures ? 1 : 0;
}
