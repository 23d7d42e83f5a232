/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.varlink.certification served strictly: every step checks its input and its place in the order. */
#include <stdio.h>
#include <sys/random.h>

#include "cert-json.h"
#include "cert-service.h"
#include "cert-steps.h"
#include "util/macro.h"

#define CERT_CLIENTS_MAX 100  /* as the reference: clients that never call End stay until we exit */
#define CERT_ERROR "org.varlink.certification.CertificationError"

extern const char org_varlink_certification_varlink[];

typedef struct CertClient {
        char id[37];            /* a random UUID, as the reference makes them */
        bool in_use;
        bool failed;            /* some step was answered with an error: End says all_ok false */
        CertStep next;          /* the step it must call next */
} CertClient;

struct CertService {
        CertClient clients[CERT_CLIENTS_MAX];
};

int cert_service_new(CertService **ret) {
        CertService *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

CertService *cert_service_free(CertService *s) {
        free(s);
        return NULL;
}

static int client_new(CertService *s, CertClient **ret) {
        uint8_t b[16];

        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                return -EIO;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        for (size_t i = 0; i < CERT_CLIENTS_MAX; i++) {
                CertClient *cl = &s->clients[i];
                if (cl->in_use)
                        continue;
                *cl = (CertClient) { .in_use = true, .next = CERT_TEST01 };
                snprintf(cl->id, sizeof(cl->id),
                         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                         b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
                *ret = cl;
                return 0;
        }
        return -EUSERS;
}

static int answered(int r) {
        return r < 0 ? r : -EBADMSG;  /* -EBADMSG: the call has its answer, the handler just returns */
}

/* Finds the client the call names; answers InvalidParameter or ClientIdError when there is none. */
static int client_find(CertService *s, VarlinkCall *c, json_object *params, CertClient **ret) {
        json_object *id = json_object_object_get(params, "client_id");

        if (!json_object_is_type(id, json_type_string))
                return answered(varlink_call_error_invalid_parameter(c, "client_id"));
        for (size_t i = 0; i < CERT_CLIENTS_MAX; i++)
                if (s->clients[i].in_use && streq(s->clients[i].id, json_object_get_string(id))) {
                        *ret = &s->clients[i];
                        return 0;
                }
        return answered(varlink_call_error(c, "org.varlink.certification.ClientIdError", NULL));
}

/* Answers CertificationError(wants, got), both consumed, and marks the client as failed. */
static int certification_error(VarlinkCall *c, CertClient *cl, json_object *wants, json_object *got) {
        json_object *p = json_object_new_object();

        if (cl)
                cl->failed = true;
        if (!p) {
                json_object_put(wants);
                json_object_put(got);
                return -ENOMEM;
        }
        json_object_object_add(p, "wants", wants);
        json_object_object_add(p, "got", got);
        return answered(varlink_call_error(c, CERT_ERROR, p));
}

static json_object *object_with(const char *key, json_object *value) {
        json_object *o = json_object_new_object();
        if (o)
                json_object_object_add(o, key, value);
        return o;
}

static int check_order(VarlinkCall *c, CertClient *cl, CertStep step) {
        if (cl->next == step)
                return 0;
        return certification_error(c, cl,
                                   object_with("method", json_object_new_string(cert_step_name(cl->next))),
                                   object_with("method", json_object_new_string(cert_step_name(step))));
}

/* The parameters besides client_id must be exactly those the step takes. */
static int check_input(VarlinkCall *c, CertClient *cl, CertStep step, json_object *params) {
        json_object *want = cert_step_input(step), *got = cert_json_without_client_id(params);

        if (!got) {
                json_object_put(want);
                return -ENOMEM;
        }
        if (!cert_json_equal(want, got))
                return certification_error(c, cl, want, got);
        json_object_put(want);
        json_object_put(got);
        return 0;
}

static int check_flag(VarlinkCall *c, CertClient *cl, const char *flag, bool got) {
        if (got)
                return 0;
        return certification_error(c, cl, object_with(flag, json_object_new_boolean(true)),
                                   object_with(flag, json_object_new_boolean(false)));
}

static int reply_test10(VarlinkCall *c) {
        for (unsigned n = 1; n < CERT_TEST10_REPLIES; n++) {
                int r = varlink_call_notify(c, cert_test10_reply(n));
                if (r < 0)
                        return r;
        }
        return varlink_call_reply(c, cert_test10_reply(CERT_TEST10_REPLIES));
}

static CertStep call_step(VarlinkCall *c) {
        const char *dot = strrchr(varlink_call_method(c), '.');
        return (CertStep) cert_step_from_name(dot + 1);  /* only our own methods come here */
}

static int method_test(VarlinkCall *c, json_object *params, void *userdata) {
        CertStep step = call_step(c);
        CertClient *cl = NULL;

        int r = client_find(userdata, c, params, &cl);
        if (r >= 0)
                r = check_order(c, cl, step);
        if (r >= 0)
                r = check_input(c, cl, step, params);
        if (r >= 0 && step == CERT_TEST10)
                r = check_flag(c, cl, "more", varlink_call_wants_more(c));
        if (r >= 0 && step == CERT_TEST11)
                r = check_flag(c, cl, "oneway", varlink_call_is_oneway(c));
        if (r < 0)
                return r;
        cl->next = step + 1;
        if (step == CERT_TEST10)
                return reply_test10(c);
        return varlink_call_reply(c, cert_step_output(step));  /* Test11 is oneway: dropped */
}

static int method_start(VarlinkCall *c, json_object *params, void *userdata) {
        CertClient *cl;

        if (json_object_object_length(params) != 0)
                return certification_error(c, NULL, json_object_new_object(), json_object_get(params));
        int r = client_new(userdata, &cl);
        if (r < 0)
                return r;
        return varlink_call_reply(c, object_with("client_id", json_object_new_string(cl->id)));
}

/* all_ok only for a client that called every step in order, each correctly, and nothing else. */
static int method_end(VarlinkCall *c, json_object *params, void *userdata) {
        CertClient *cl = NULL;

        int r = client_find(userdata, c, params, &cl);
        if (r >= 0)
                r = check_input(c, cl, CERT_END, params);
        if (r < 0)
                return r;
        bool all_ok = !cl->failed && cl->next == CERT_END;
        cl->in_use = false;
        return varlink_call_reply(c, object_with("all_ok", json_object_new_boolean(all_ok)));
}

static const VarlinkMethod cert_methods[] = {
        { "Start", method_start, 0 },
        { "Test01", method_test, 0 },
        { "Test02", method_test, 0 },
        { "Test03", method_test, 0 },
        { "Test04", method_test, 0 },
        { "Test05", method_test, 0 },
        { "Test06", method_test, 0 },
        { "Test07", method_test, 0 },
        { "Test08", method_test, 0 },
        { "Test09", method_test, 0 },
        { "Test10", method_test, 0 },
        { "Test11", method_test, 0 },
        { "End", method_end, 0 },
        {}
};

const VarlinkInterface cert_interface = {
        .name = "org.varlink.certification",
        .description = org_varlink_certification_varlink,
        .methods = cert_methods,
};
