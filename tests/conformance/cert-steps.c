/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The steps of org.varlink.certification, in order, with the values the reference defines for each. */
#include <stdio.h>
#include <string.h>

#include "cert-json.h"
#include "cert-steps.h"

/* What each step answers, as the reference server (varlink/go cmd/varlink-go-certification) does. */
static const char *const step_output[_CERT_STEP_MAX] = {
        [CERT_TEST01] = "{ \"bool\": true }",
        [CERT_TEST02] = "{ \"int\": 1 }",
        [CERT_TEST03] = "{ \"float\": 1.0 }",
        [CERT_TEST04] = "{ \"string\": \"ping\" }",
        [CERT_TEST05] = "{ \"bool\": false, \"int\": 2, \"float\": 3.141592653589793, \"string\": \"a lot of string\" }",
        [CERT_TEST06] = "{ \"struct\": { \"bool\": false, \"int\": 2, \"float\": 3.141592653589793,"
                        " \"string\": \"a lot of string\" } }",
        [CERT_TEST07] = "{ \"map\": { \"foo\": \"Foo\", \"bar\": \"Bar\" } }",
        [CERT_TEST08] = "{ \"set\": { \"one\": {}, \"two\": {}, \"three\": {} } }",
        [CERT_TEST09] = "{ \"mytype\": {"
                        " \"object\": { \"method\": \"org.varlink.certification.Test09\","
                        " \"parameters\": { \"map\": { \"foo\": \"Foo\", \"bar\": \"Bar\" } } },"
                        " \"enum\": \"two\","
                        " \"struct\": { \"first\": 1, \"second\": \"2\" },"
                        " \"array\": [ \"one\", \"two\", \"three\" ],"
                        " \"dictionary\": { \"foo\": \"Foo\", \"bar\": \"Bar\" },"
                        " \"stringset\": { \"one\": {}, \"two\": {}, \"three\": {} },"
                        " \"interface\": {"
                        " \"foo\": [ null, { \"Foo\": \"foo\", \"Bar\": \"bar\" }, null, { \"one\": \"foo\", \"two\": \"bar\" } ],"
                        " \"anon\": { \"foo\": true, \"bar\": false } } } }",
        [CERT_TEST10] = "{ \"string\": \"Reply number 10\" }",
        [CERT_TEST11] = "{}",
        [CERT_END] = "{ \"all_ok\": true }",
};

static const char *const step_names[_CERT_STEP_MAX] = {
        "Start", "Test01", "Test02", "Test03", "Test04", "Test05", "Test06",
        "Test07", "Test08", "Test09", "Test10", "Test11", "End",
};

const char *cert_step_name(CertStep step) {
        return step < _CERT_STEP_MAX ? step_names[step] : NULL;
}

int cert_step_from_name(const char *name) {
        for (int i = 0; i < _CERT_STEP_MAX; i++)
                if (strcmp(step_names[i], name) == 0)
                        return i;
        return -1;
}

json_object *cert_test10_reply(unsigned n) {
        char text[64];
        snprintf(text, sizeof(text), "{ \"string\": \"Reply number %u\" }", n);
        return cert_json_parse(text);
}

static json_object *test11_input(void) {
        json_object *replies = json_object_new_array(), *input = json_object_new_object();

        for (unsigned n = 1; n <= CERT_TEST10_REPLIES; n++) {
                json_object *reply = cert_test10_reply(n);
                json_object_array_add(replies, json_object_get(json_object_object_get(reply, "string")));
                json_object_put(reply);
        }
        json_object_object_add(input, "last_more_replies", replies);
        return input;
}

json_object *cert_step_input(CertStep step) {
        if (step >= CERT_TEST02 && step <= CERT_TEST10)
                return cert_step_output(step - 1);
        if (step == CERT_TEST11)
                return test11_input();
        return json_object_new_object();
}

json_object *cert_step_output(CertStep step) {
        if (step >= _CERT_STEP_MAX || !step_output[step])
                return NULL;
        return cert_json_parse(step_output[step]);
}
