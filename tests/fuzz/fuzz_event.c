/* fuzz_event.c - libFuzzer target for cb_event_parse: any body either fails
 * with a reason (and a field name exactly when the event is invalid), or gives
 * an event whose decoded fields lie in the scratch buffer as valid UTF-8. */
#include "cb_err.h"
#include "cb_event.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static cb_event_scratch_t s_scratch;
static char s_body[CB_CFG_BODY_MAX]; /* the body is decoded in place: a copy */
static cb_json_tok_t s_toks[CB_CFG_JSON_MAX_TOKENS];

static const char *const k_names[] = {"id",         "type",   "timestamp", "client_id",
                                      "created_at", "sender", "job_id",    "notification_message"};

static void check_span(cb_span_t s)
{
    if (!s.p)
        return;
    CHECK(s.p >= s_body);
    CHECK(s.len <= sizeof s_body);
    CHECK(s.p + s.len <= s_body + sizeof s_body);
    CHECK(cb_utf8_valid(s.p, s.len));
    CHECK(memchr(s.p, 0, s.len) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    const char *field = "unset", *why = "unset";
    cb_event_t ev;

    /* over CB_CFG_BODY_MAX the parser refuses before reading a byte */
    memcpy(s_body, data, size < sizeof s_body ? size : sizeof s_body);
    int rc = cb_event_parse(s_body, size, &ev, &s_scratch, &field, &why);
    CHECK(rc == CB_OK || rc == CB_ERR_JSON || rc == CB_ERR_EVENT);
    /* the event is invalid JSON exactly when the body is */
    int n = cb_json_parse(body, size, s_toks, CB_CFG_JSON_MAX_TOKENS, NULL);
    CHECK((rc == CB_ERR_JSON) == (n < 0) || size > CB_CFG_BODY_MAX);

    if (rc == CB_ERR_JSON) {
        CHECK(field == NULL && why != NULL);
        return 0;
    }
    if (rc == CB_ERR_EVENT) {
        bool known = false;
        CHECK(field != NULL && why != NULL);
        for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++)
            known |= strcmp(field, k_names[i]) == 0;
        CHECK(known);
        return 0;
    }
    CHECK(field == NULL && why == NULL);
    cb_span_t all[] = {ev.id,         ev.type,   ev.timestamp, ev.client_id,
                       ev.created_at, ev.sender, ev.job_id,    ev.text};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        check_span(all[i]);
    CHECK(ev.created_at.p && ev.sender.p && ev.text.p);
    CHECK(ev.job_id.p && ev.job_id.len > 0);
    /* decoded values never overlap */
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (size_t j = i + 1; j < sizeof all / sizeof all[0]; j++)
            if (all[i].p && all[j].p && all[i].len && all[j].len)
                CHECK(all[i].p + all[i].len <= all[j].p || all[j].p + all[j].len <= all[i].p);
    return 0;
}
