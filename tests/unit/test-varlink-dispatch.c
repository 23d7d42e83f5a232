/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-dispatch.c: parameters parsed through a table, each failure naming its parameter. */
#include "test-fixture.h"
#include "varlink/varlink-dispatch.h"

static void assert_typed_invalid(void **state, const char *parameters, const char *parameter) {
        Fixture *f = *state;
        char call[512];
        snprintf(call, sizeof(call), "{\"method\":\"io.test.Typed\",\"parameters\":%s}", parameters);
        assert_call_fails(&f->peer, call, "org.varlink.service.InvalidParameter", "parameter", parameter);
}

static json_object *typed(void **state, const char *parameters) {
        Fixture *f = *state;
        char call[512];
        snprintf(call, sizeof(call), "{\"method\":\"io.test.Typed\",\"parameters\":%s}", parameters);
        json_object *m = test_peer_call(&f->peer, call);
        assert_non_null(m);
        assert_string_equal(message_error(m), "");
        return m;
}

static void all_types_are_parsed(void **state) {
        json_object *m = typed(state, "{\"i\":-5,\"f\":2.5,\"s\":\"x\",\"b\":true,\"o\":{},\"a\":[]}");
        assert_int_equal(message_int(m, "i"), -5);
        assert_true(json_object_get_double(json_object_object_get(message_parameters(m), "f")) == 2.5);
        json_object_put(m);
}

static void int_is_accepted_where_a_float_is_declared(void **state) {
        json_object *m = typed(state, "{\"i\":1,\"f\":3}");
        assert_true(json_object_get_double(json_object_object_get(message_parameters(m), "f")) == 3.0);
        json_object_put(m);
}

static void null_is_the_same_as_absent(void **state) {
        json_object *m = typed(state, "{\"i\":1,\"f\":null,\"s\":null}");
        json_object_put(m);
}

static void float_where_an_int_is_declared_is_invalid(void **state) {
        assert_typed_invalid(state, "{\"i\":1.5}", "i");
}

static void int_beyond_int64_is_invalid(void **state) {
        assert_typed_invalid(state, "{\"i\":9223372036854775808}", "i");
}

static void int64_extremes_are_valid(void **state) {
        json_object *m = typed(state, "{\"i\":9223372036854775807}");
        assert_true(message_int(m, "i") == INT64_MAX);
        json_object_put(m);
        m = typed(state, "{\"i\":-9223372036854775808}");
        assert_true(message_int(m, "i") == INT64_MIN);
        json_object_put(m);
}

static void wrong_type_names_the_parameter(void **state) {
        assert_typed_invalid(state, "{\"i\":1,\"s\":5}", "s");
        assert_typed_invalid(state, "{\"i\":1,\"b\":1}", "b");
        assert_typed_invalid(state, "{\"i\":1,\"o\":[]}", "o");
        assert_typed_invalid(state, "{\"i\":1,\"a\":{}}", "a");
        assert_typed_invalid(state, "{\"i\":1,\"f\":\"1\"}", "f");
}

static void unknown_parameter_is_invalid(void **state) {
        assert_typed_invalid(state, "{\"i\":1,\"zz\":1}", "zz");
}

static void missing_mandatory_parameter_is_invalid(void **state) {
        assert_typed_invalid(state, "{\"s\":\"x\"}", "i");
}

static void null_mandatory_parameter_is_missing(void **state) {
        assert_typed_invalid(state, "{\"i\":null}", "i");
}

static void table_less_method_refuses_any_parameter(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":{\"x\":1}}",
                          "org.varlink.service.InvalidParameter", "parameter", "x");
}

static void value_types_match_field_types(void **state) {
        json_object *i = json_object_new_int(1), *d = json_object_new_double(1.5);
        assert_true(varlink_value_has_type(i, VARLINK_FIELD_INT));
        assert_true(varlink_value_has_type(i, VARLINK_FIELD_FLOAT));
        assert_true(varlink_value_has_type(i, VARLINK_FIELD_FD));
        assert_false(varlink_value_has_type(d, VARLINK_FIELD_INT));
        assert_true(varlink_value_has_type(d, VARLINK_FIELD_FLOAT));
        assert_false(varlink_value_has_type(NULL, VARLINK_FIELD_OBJECT));
        json_object_put(i);
        json_object_put(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                fixture_test(all_types_are_parsed),
                fixture_test(int_is_accepted_where_a_float_is_declared),
                fixture_test(null_is_the_same_as_absent),
                fixture_test(float_where_an_int_is_declared_is_invalid),
                fixture_test(int_beyond_int64_is_invalid),
                fixture_test(int64_extremes_are_valid),
                fixture_test(wrong_type_names_the_parameter),
                fixture_test(unknown_parameter_is_invalid),
                fixture_test(missing_mandatory_parameter_is_invalid),
                fixture_test(null_mandatory_parameter_is_missing),
                fixture_test(table_less_method_refuses_any_parameter),
                cmocka_unit_test(value_types_match_field_types),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
