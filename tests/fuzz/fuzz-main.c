/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs files (or every file in directories) through a libFuzzer target, for builds without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        FILE *f = fopen(path, "re");
        uint8_t *buf = NULL;
        long size;

        if (!f)
                return -errno;
        if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
            !(buf = malloc((size_t) size + 1)) || fread(buf, 1, (size_t) size, f) != (size_t) size) {
                free(buf);
                fclose(f);
                return -EIO;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) size);
        free(buf);
        return 0;
}

static int run_dir(const char *path, unsigned *n) {
        DIR *d = opendir(path);
        struct dirent *de;
        int r = 0;

        if (!d)
                return -errno;
        while (r >= 0 && (de = readdir(d))) {
                char file[4096];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
                r = run_file(file);
                (*n)++;
        }
        closedir(d);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r = stat(argv[i], &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? run_dir(argv[i], &n) : (n++, run_file(argv[i]));
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                        return 1;
                }
        }
        printf("%u inputs run\n", n);
        return n > 0 ? 0 : 77;  /* nothing to run is a skip, not a pass */
}
