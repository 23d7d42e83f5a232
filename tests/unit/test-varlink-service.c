/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-service.c: org.varlink.service.GetInfo and GetInterfaceDescription. */
#include "test-fixture.h"

static void get_info_describes_the_server(void **state) {
        Fixture *f = *state;
        json_object *m = test_peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInfo\"}");
        assert_non_null(m);
        assert_string_equal(message_string(m, "vendor"), "privmemd tests");
        assert_string_equal(message_string(m, "product"), "test-server");
        assert_string_equal(message_string(m, "version"), "1");
        assert_string_equal(message_string(m, "url"), "https://example.invalid/");
        json_object *ifaces = json_object_object_get(message_parameters(m), "interfaces");
        assert_int_equal(json_object_array_length(ifaces), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(ifaces, 0)), "org.varlink.service");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(ifaces, 1)), "io.test");
        json_object_put(m);
}

static void get_interface_description_returns_the_text(void **state) {
        Fixture *f = *state;
        json_object *m = test_peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                                                  "\"parameters\":{\"interface\":\"io.test\"}}");
        assert_non_null(m);
        assert_string_equal(message_string(m, "description"), test_interface_description);
        json_object_put(m);
}

static void service_interface_describes_itself(void **state) {
        Fixture *f = *state;
        json_object *m = test_peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                                                  "\"parameters\":{\"interface\":\"org.varlink.service\"}}");
        assert_non_null(m);
        assert_non_null(strstr(message_string(m, "description"), "interface org.varlink.service\n"));
        json_object_put(m);
}

static void unknown_interface_description_is_interface_not_found(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                                    "\"parameters\":{\"interface\":\"io.nope\"}}",
                          "org.varlink.service.InterfaceNotFound", "interface", "io.nope");
}

static void interface_description_without_interface_is_invalid_parameter(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\"}",
                          "org.varlink.service.InvalidParameter", "parameter", "interface");
}

static void adding_an_interface_twice_is_eexist(void **state) {
        Fixture *f = *state;
        static const VarlinkMethod none[] = { {} };
        static const VarlinkInterface again = { .name = "io.test", .description = "", .methods = none };
        assert_int_equal(varlink_server_add_interface(f->ts->server, &again, NULL), -EEXIST);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                fixture_test(get_info_describes_the_server),
                fixture_test(get_interface_description_returns_the_text),
                fixture_test(service_interface_describes_itself),
                fixture_test(unknown_interface_description_is_interface_not_found),
                fixture_test(interface_description_without_interface_is_invalid_parameter),
                fixture_test(adding_an_interface_twice_is_eexist),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
