/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The steps of org.varlink.certification, in order, with the values the reference defines for each. */
#pragma once

#include <json-c/json.h>

typedef enum CertStep {
        CERT_START,
        CERT_TEST01, CERT_TEST02, CERT_TEST03, CERT_TEST04, CERT_TEST05,
        CERT_TEST06, CERT_TEST07, CERT_TEST08, CERT_TEST09, CERT_TEST10, CERT_TEST11,
        CERT_END,
        _CERT_STEP_MAX,
} CertStep;

#define CERT_TEST10_REPLIES 10

/* "Test01"; NULL when out of range. */
const char *cert_step_name(CertStep step);
/* The step of a method name without the interface ("Test01"), or -1. */
int cert_step_from_name(const char *name);

/* The parameters a step takes besides client_id: for Test02…Test10 the reply of the step before. */
json_object *cert_step_input(CertStep step);
/* The reply a step answers. Start: NULL (the client id is made up); Test10: its last reply. */
json_object *cert_step_output(CertStep step);
/* Test10's reply number n, 1-based. */
json_object *cert_test10_reply(unsigned n);
