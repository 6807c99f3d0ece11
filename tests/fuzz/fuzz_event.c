/* fuzz_event.c - libFuzzer target for cb_event_parse: any body either fails
 * with a reason (and a field name exactly when the event is invalid), or gives
 * an event whose decoded fields lie in the scratch buffer as valid UTF-8. A
 * parsed event is then signed V1 and V3 and verified (SPEC 3): it verifies
 * exactly when no signed field holds '&', under the header of its scheme only,
 * and its duplicate key never depends on the text. */
#include "cb_auth_sig.h"
#include "cb_err.h"
#include "cb_event.h"
#include "cb_inbox.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static cb_json_tok_t s_toks_ev[CB_CFG_JSON_MAX_TOKENS];
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

static bool amp(cb_span_t s)
{
    return s.p && memchr(s.p, '&', s.len) != NULL;
}

/* Signs ev under scheme and verifies it as the device would. */
static void check_signature(const cb_event_t *ev, unsigned scheme)
{
    static const cb_span_t secret = {"fuzz-secret", 11};
    char hex[65];
    cb_span_t ts = ev->timestamp.p ? ev->timestamp : ev->created_at;
    bool ambiguous;
    if (scheme == CB_SIG_V1) {
        cb_auth_sig_v1(ev, secret, hex);
        ambiguous = amp(ev->id) || amp(ev->created_at) || amp(ev->type);
    } else {
        cb_auth_sig_v3(ev, ts, secret, hex); /* bare hex: the device picks ts */
        ambiguous = amp(ts) || amp(ev->client_id) || amp(ev->sender) || amp(ev->job_id);
    }
    cb_span_t h = cb_span(hex, 64), none = CB_SPAN_NONE;
    cb_span_t v1 = scheme == CB_SIG_V1 ? h : none, v3 = scheme == CB_SIG_V3 ? h : none;
    cb_auth_sig_signed_t sg;
    int rc = cb_auth_sig_check(ev, v1, v3, CB_SIG_V1 | CB_SIG_V3, &secret, 1, &sg);
    CHECK(rc == (ambiguous ? CB_ERR_AUTH_INVALID : CB_OK));
    /* the other scheme alone never takes this header */
    CHECK(cb_auth_sig_check(ev, v1, v3, (CB_SIG_V1 | CB_SIG_V3) & ~scheme, &secret, 1, NULL) ==
          CB_ERR_AUTH_INVALID);
    if (rc != CB_OK)
        return;
    CHECK(sg.scheme == scheme && sg.ntuple == (scheme == CB_SIG_V1 ? 3u : 4u));
    /* the key is the scheme and the tuple: another text, the same key */
    uint8_t k1[CB_DUPKEY_LEN], k2[CB_DUPKEY_LEN];
    cb_event_t other = *ev;
    other.text = cb_span("something else", 14);
    cb_auth_sig_signed_t sg2;
    CHECK(cb_auth_sig_check(&other, v1, v3, scheme, &secret, 1, &sg2) == CB_OK);
    static const uint8_t dup_secret[CB_SIPHASH_KEY_LEN] = "0123456789abcdef";
    cb_inbox_key(dup_secret, (uint8_t)sg.scheme, sg.tuple, sg.ntuple, k1);
    cb_inbox_key(dup_secret, (uint8_t)sg2.scheme, sg2.tuple, sg2.ntuple, k2);
    CHECK(memcmp(k1, k2, CB_DUPKEY_LEN) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    const char *field = "unset", *why = "unset";
    cb_event_t ev;

    /* over CB_CFG_BODY_MAX the parser refuses before reading a byte */
    memcpy(s_body, data, size < sizeof s_body ? size : sizeof s_body);
    int rc = cb_event_parse(s_body, size, &ev, s_toks_ev, &field, &why);
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
    check_signature(&ev, CB_SIG_V1);
    check_signature(&ev, CB_SIG_V3);
    return 0;
}
