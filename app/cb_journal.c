/* cb_journal.c - the durable record log of SPEC 5 over the storage port's two
 * journal slots; cb_ledger appends events and acks, syncs once per loop turn,
 * replays at start, and compacts when cb_journal_size() passes its budget.
 *
 * FORMAT. A slot is a sequence of records, each
 *     0xCB | type u8 | len u32 LE | payload[len] | crc u32 LE
 * crc = CRC-32 (zlib's) over type, len and payload; len <= CB_CFG_RECORD_MAX.
 * A slot holds: a HEADER record ("CBJ1", generation u32), the records written
 * by compaction, a COMMIT record (generation u32, count u32 of the records
 * since the header), then the records appended since. Types 0x00-0xEF are the
 * caller's; HEADER (0xF0) and COMMIT (0xF1) are the journal's own.
 *
 * READING (SPEC 5: a bad record costs that record only). A reader walks from
 * offset 0. A record that does not verify (bad sync byte, length over the
 * limit or past the end, bad CRC, a header or commit out of place) is skipped:
 * the reader looks for the next offset holding the sync byte where a whole
 * record verifies (length within bounds and CRC), and goes on from there. A
 * false sync inside damaged bytes needs a 32-bit CRC to match by chance; event
 * text cannot fake one (valid UTF-8 never has a byte 0x01-0x0F or 0xF0-0xF1
 * after 0xCB, which is a lead byte). Bad bytes followed by a good record are a
 * skipped range (damage, logged and counted); bad bytes at the end are the
 * tail (a torn write: normal after a power cut).
 * A COMMIT counts when it verifies and names the generation of the header
 * (or, with the header damaged, stands for it): a COMMIT is written only after
 * the whole compacted set was synced (step 4 below), so one that verifies
 * proves the set was complete; a record of it that is skipped now is damage.
 *
 * WHICH SLOT IS LIVE. Both are scanned. The committed slot with the highest
 * generation wins. If neither is committed, the one with a valid header and
 * the most records wins (a first start that crashed before its commit, or
 * damage), else one without a header that still holds good records (salvage);
 * if neither holds anything, storage is empty and generation 1 is created.
 *
 * DAMAGE IS SET ASIDE, NEVER ERASED. A slot that cannot be identified (bytes
 * without a valid header or commit) and is not the one opened is set aside
 * (cb_port_store_set_aside: the host renames the file; a board that cannot
 * keep a copy leaves the slot untouched until a compaction needs it). The
 * live slot, when damaged (skipped ranges, a bad header), has its good records
 * copied into the other slot, which becomes live; then the damaged one is set
 * aside instead of erased. Nothing readable is lost, nothing unreadable erased
 * to make a fresh start.
 *
 * COMPACTION from the live slot O (generation g, committed) into the other N:
 *   1 erase N  2 append HEADER(g+1)  3 append each record  4 sync N
 *   5 append COMMIT(g+1)  6 sync N  7 switch: N is live, appends follow its
 *   COMMIT  8 erase O.
 * A crash (power loss; unsynced bytes kept in any amount, torn anywhere):
 *   - before step 5 reached the medium: N has no valid COMMIT, O is committed
 *     with g: O wins, the old set, whole.
 *   - between 5 and 6: if the COMMIT survived, the set before it was synced
 *     at step 4, so N (g+1, newer) wins with the whole new set; otherwise O.
 *   - after 6, before or during 8: both committed, g+1 newer than g: N. An
 *     erase cut short leaves O invalid or still older: N. (Generations
 *     compare as serial numbers, so they may wrap.)
 *   - after 8: only N. A torn append to N later is after its synced COMMIT.
 *   Either set is complete; none is a mix (O is never written during a
 *   compaction: an append abandons the compaction in progress first).
 * A failure (an error, no crash) at steps 1-4 abandons the compaction: O stays
 * live, N is an uncommitted leftover that cannot win and is erased by the
 * next compaction. A failure at 5 or 6 is worse: N may hold a COMMIT on the
 * medium after all, and would beat O at the next start, hiding whatever O
 * receives later. So N is erased at once; until that erase succeeds
 * ("other_unsafe") append and sync refuse with CB_ERR_STORAGE, so nothing is
 * accepted that N could hide, and a crash in that window gives N (the new set
 * as the caller built it) or O, both whole. A failure at 8 is harmless.
 *
 * TORN TAIL. Storage cannot truncate (flash), so a tail is cut by an internal
 * compaction ("clean") that copies the good records, re-read from the live
 * slot, into the other one. open() does it when the live slot has a tail,
 * damage or no COMMIT, logging what it found, so new records never land after
 * garbage. The callback sees the records after that, in the new slot.
 *
 * FAILED APPEND OR SYNC. A failed append may leave a partial record: the
 * journal becomes "tail_dirty" and the records before it stay (they may still
 * be made durable by the turn's sync). A failed sync drops every record since
 * the last good sync (the caller fails every record it appended since its
 * last good sync, whoever called the sync): end goes back to the synced
 * point, tail_dirty is set, and a clean is tried at once. While tail_dirty,
 * the next append first cleans (re-reads up to the good end into the other
 * slot); a sync needs no clean (bytes past the good end are ignored at the
 * next start anyway). So once storage recovers, appends work again, and a
 * partial tail never sits before a later record. Limit: a record whose append
 * or sync failed may still have reached the medium; if power fails before the
 * clean, it is replayed at the next start (InstaLeap's retry of it is then a
 * duplicate). Durability is never claimed for it.
 *
 * The caller must not hold offsets across a compaction, including the clean
 * an append may run first. Every buffer is static: one record buffer shared
 * by reading and framing (a visit callback may hand its payload straight to
 * cb_journal_compact_add; the frame is built around it in place). */
#include "cb_journal.h"
#include "cb_config.h"
#include "cb_crc32.h"
#include "cb_err.h"
#include "cb_port.h"

#include <string.h>

#define SYNC_BYTE       0xCBu
#define HDR_LEN         6u /* sync byte, type, length */
#define CRC_LEN         4u
#define OVERHEAD        (HDR_LEN + CRC_LEN)
#define TYPE_HEADER     0xF0u
#define TYPE_COMMIT     0xF1u
#define TYPE_USER_MAX   0xEFu
#define HEADER_PAYLOAD  8u /* "CBJ1", generation */
#define COMMIT_PAYLOAD  8u /* generation, records since the header */
#define COMMIT_REC      (OVERHEAD + COMMIT_PAYLOAD)
#define HEADER_REC      (OVERHEAD + HEADER_PAYLOAD)
#define SLOT_NAME(slot) ((slot) == CB_SLOT_JOURNAL_A ? 'A' : 'B')

_Static_assert(CB_CFG_RECORD_MAX >= HEADER_PAYLOAD && CB_CFG_RECORD_MAX <= 0x7fffffff,
               "journal record size out of range");

/* Skipped ranges logged one by one per scan; more are summed up. */
#define LOG_RANGES_MAX CB_JOURNAL_RANGES_MAX
#define NO_OFFSET      0xffffffffu

typedef struct {
    uint32_t off, next, len;
    uint8_t type;
} rec_t;

typedef struct {
    bool header;              /* a valid HEADER at offset 0 */
    bool committed;           /* a valid COMMIT of this generation */
    uint32_t gen;             /* from the header, or from the COMMIT when the header is bad */
    uint32_t end;             /* end of the last good record */
    uint32_t count;           /* good caller records */
    uint32_t skipped, ranges; /* damaged bytes between good records, and in how many runs */
    struct {
        uint32_t off, len;
    } range[CB_JOURNAL_RANGES_MAX];
} slot_info_t;

typedef enum { SCAN_INFO, SCAN_VISIT, SCAN_COPY } scan_mode_t;

static struct {
    bool open;
    bool replaying;           /* inside a visit callback */
    bool compacting;          /* between compact_begin and commit / abort */
    bool tail_dirty;          /* bytes past end are garbage or dropped: clean before appending */
    bool other_unsafe;        /* the other slot may hold a newer COMMIT: erase before accepting */
    bool src_damaged;         /* the live slot holds damage: a clean sets it aside, not erases it */
    bool kept[CB_SLOT_COUNT]; /* unreadable, left untouched (could not be set aside) */
    cb_slot_t active;
    uint32_t gen;
    uint32_t end;    /* end of the last good record in the active slot */
    uint32_t synced; /* end of the durable prefix */
    uint32_t c_end;  /* compaction: bytes written to the other slot */
    uint32_t c_count;
    cb_journal_damage_t damage;
    uint8_t buf[OVERHEAD + CB_CFG_RECORD_MAX];
} s_journal;

/* Optional port hook: a port that can keep a copy of a slot overrides it. */
__attribute__((weak)) int cb_port_store_set_aside(cb_slot_t slot)
{
    (void)slot;
    return CB_ERR_NOSPC;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static cb_slot_t other_slot(cb_slot_t slot)
{
    return slot == CB_SLOT_JOURNAL_A ? CB_SLOT_JOURNAL_B : CB_SLOT_JOURNAL_A;
}

/* The port promises NOSPC or STORAGE; anything else is treated as STORAGE. */
static int port_err(int rc)
{
    return rc == CB_ERR_NOSPC ? CB_ERR_NOSPC : CB_ERR_STORAGE;
}

_Static_assert(CB_JOURNAL_HDR_LEN == HDR_LEN && CB_JOURNAL_OVERHEAD == OVERHEAD,
               "framing constants");

/* Builds a record at b around the payload, which may already lie there (a
 * visit callback's payload, a caller's framed record): it is moved into
 * place first. Returns the record's length. */
static uint32_t frame_at(uint8_t *b, uint8_t type, const void *payload, size_t len)
{
    if (len)
        memmove(b + HDR_LEN, payload, len);
    b[0] = SYNC_BYTE;
    b[1] = type;
    put_le32(b + 2, (uint32_t)len);
    put_le32(b + HDR_LEN + len, cb_crc32(0, b + 1, HDR_LEN - 1 + len));
    return (uint32_t)(len + OVERHEAD);
}

static uint32_t frame(uint8_t type, const void *payload, size_t len)
{
    return frame_at(s_journal.buf, type, payload, len);
}

int cb_journal_frame(uint8_t type, const void *payload, size_t len, uint8_t *out, size_t cap)
{
    if (type > TYPE_USER_MAX || (len && !payload) || !out)
        return CB_ERR_INVAL;
    if (len > CB_CFG_RECORD_MAX || cap < OVERHEAD || cap - OVERHEAD < len)
        return CB_ERR_TOO_LARGE;
    return (int)frame_at(out, type, payload, len);
}

/* Reads the record at off, which must end by limit, into buf and verifies
 * it. CB_OK, CB_ERR_CORRUPT (torn or damaged) or CB_ERR_STORAGE. */
static int read_record(cb_slot_t slot, uint32_t off, uint32_t limit, rec_t *r)
{
    uint8_t *b = s_journal.buf;
    if (off > limit || limit - off < OVERHEAD)
        return CB_ERR_CORRUPT;
    int n = cb_port_store_read(slot, off, b, HDR_LEN);
    if (n < 0)
        return CB_ERR_STORAGE;
    if (n != (int)HDR_LEN || b[0] != SYNC_BYTE)
        return CB_ERR_CORRUPT;
    uint32_t len = get_le32(b + 2);
    if (len > CB_CFG_RECORD_MAX || len > limit - off - OVERHEAD)
        return CB_ERR_CORRUPT;
    n = cb_port_store_read(slot, off + HDR_LEN, b + HDR_LEN, len + CRC_LEN);
    if (n < 0)
        return CB_ERR_STORAGE;
    if ((uint32_t)n != len + CRC_LEN)
        return CB_ERR_CORRUPT;
    if (cb_crc32(0, b + 1, HDR_LEN - 1 + len) != get_le32(b + HDR_LEN + len))
        return CB_ERR_CORRUPT;
    r->off = off;
    r->next = off + OVERHEAD + len;
    r->len = len;
    r->type = b[1];
    return CB_OK;
}

/* The first offset from off on (before limit) holding the sync byte, or
 * limit: where a scan tries again after a bad record. */
static int next_sync(cb_slot_t slot, uint32_t off, uint32_t limit, uint32_t *at)
{
    uint8_t *b = s_journal.buf;
    const uint32_t chunk = 256u < sizeof s_journal.buf ? 256u : (uint32_t)sizeof s_journal.buf;
    while (off < limit) {
        uint32_t want = limit - off < chunk ? limit - off : chunk;
        int n = cb_port_store_read(slot, off, b, want);
        if (n < 0)
            return CB_ERR_STORAGE;
        if (n == 0)
            break;
        const uint8_t *hit = memchr(b, SYNC_BYTE, (size_t)n);
        if (hit) {
            *at = off + (uint32_t)(hit - b);
            return CB_OK;
        }
        off += (uint32_t)n;
    }
    *at = limit;
    return CB_OK;
}

/* Whether a record that verified belongs where it is (see READING). */
static bool in_place(slot_info_t *info, const rec_t *r)
{
    const uint8_t *p = s_journal.buf + HDR_LEN;
    if (r->off == 0) {
        if (r->type != TYPE_HEADER || r->len != HEADER_PAYLOAD || memcmp(p, "CBJ1", 4) != 0)
            return false;
        info->header = true;
        info->gen = get_le32(p + 4);
        return true;
    }
    if (r->type == TYPE_COMMIT) {
        if (info->committed || r->len != COMMIT_PAYLOAD ||
            (info->header && get_le32(p) != info->gen))
            return false;
        info->committed = true;
        info->gen = get_le32(p);
        return true;
    }
    return r->type <= TYPE_USER_MAX;
}

static void note_skip(slot_info_t *info, cb_slot_t slot, uint32_t from, uint32_t to, bool log)
{
    if (info->ranges < CB_JOURNAL_RANGES_MAX) {
        info->range[info->ranges].off = from;
        info->range[info->ranges].len = to - from;
    }
    info->skipped += to - from;
    info->ranges++;
    if (!log)
        return;
    if (info->ranges <= LOG_RANGES_MAX)
        cb_port_log(CB_LOG_WARN,
                    "journal: slot %c: %u damaged bytes at offset %u skipped; "
                    "the records after them are kept",
                    SLOT_NAME(slot), (unsigned)(to - from), (unsigned)from);
    else if (info->ranges == LOG_RANGES_MAX + 1)
        cb_port_log(CB_LOG_WARN, "journal: slot %c: more damaged ranges skipped (not listed)",
                    SLOT_NAME(slot));
}

static int cadd(uint32_t n);

/* Walks a slot from its start up to limit, filling info. SCAN_VISIT calls
 * visit for each caller record, SCAN_COPY adds it to the compaction in
 * progress. Damage is skipped (see READING); info->end tells where the last
 * good record ends. CB_OK, CB_ERR_STORAGE, or a compaction error (COPY). */
static int scan(cb_slot_t slot, uint32_t limit, slot_info_t *info, scan_mode_t mode,
                cb_journal_visit_fn visit, void *ctx, bool log)
{
    memset(info, 0, sizeof *info);
    uint32_t off = 0, bad = NO_OFFSET;
    while (off < limit) {
        rec_t r;
        int rc = read_record(slot, off, limit, &r);
        if (rc == CB_ERR_STORAGE)
            return rc;
        if (rc != CB_OK || !in_place(info, &r)) {
            if (bad == NO_OFFSET)
                bad = off;
            rc = next_sync(slot, off + 1, limit, &off);
            if (rc != CB_OK)
                return rc;
            continue;
        }
        if (bad != NO_OFFSET)
            note_skip(info, slot, bad, off, log);
        bad = NO_OFFSET;
        if (r.type <= TYPE_USER_MAX) {
            info->count++;
            if (mode == SCAN_COPY) {
                rc = cadd(r.next - r.off);
                if (rc != CB_OK)
                    return rc;
            } else if (mode == SCAN_VISIT && visit) {
                visit(r.type, s_journal.buf + HDR_LEN, r.len, r.off, ctx);
            }
        }
        off = r.next;
        info->end = off;
    }
    return CB_OK;
}

/* Steps 1-2 of a compaction into the other slot (see the top of the file). */
static int cbegin(void)
{
    cb_slot_t dst = other_slot(s_journal.active);
    s_journal.compacting = false;
    if (cb_port_store_capacity(dst) < HEADER_REC + COMMIT_REC)
        return CB_ERR_NOSPC;
    if (s_journal.kept[dst])
        cb_port_log(CB_LOG_WARN, "journal: slot %c, unreadable and kept so far, is now erased",
                    SLOT_NAME(dst));
    int rc = cb_port_store_erase(dst);
    if (rc != CB_OK)
        return CB_ERR_STORAGE;
    s_journal.kept[dst] = false;
    s_journal.other_unsafe = false;
    uint8_t pl[HEADER_PAYLOAD];
    memcpy(pl, "CBJ1", 4);
    put_le32(pl + 4, s_journal.gen + 1);
    uint32_t n = frame(TYPE_HEADER, pl, sizeof pl);
    rc = cb_port_store_append(dst, s_journal.buf, n);
    if (rc != CB_OK)
        return port_err(rc);
    s_journal.compacting = true;
    s_journal.c_end = n;
    s_journal.c_count = 0;
    return CB_OK;
}

/* Step 3: appends the n-byte record framed in buf to the other slot, keeping
 * room for the COMMIT. An error abandons the compaction. */
static int cadd(uint32_t n)
{
    cb_slot_t dst = other_slot(s_journal.active);
    uint32_t cap = cb_port_store_capacity(dst);
    if (s_journal.c_end > cap || cap - s_journal.c_end < COMMIT_REC ||
        cap - s_journal.c_end - COMMIT_REC < n) {
        s_journal.compacting = false;
        return CB_ERR_NOSPC;
    }
    int rc = cb_port_store_append(dst, s_journal.buf, n);
    if (rc != CB_OK) {
        s_journal.compacting = false;
        return port_err(rc);
    }
    s_journal.c_end += n;
    s_journal.c_count++;
    return CB_OK;
}

/* Sets a damaged or unreadable slot aside; when the port cannot, the slot is
 * left untouched (and erased only when a compaction needs it). */
static void set_aside(cb_slot_t slot, const char *why)
{
    s_journal.damage.set_aside++;
    int rc = cb_port_store_set_aside(slot);
    if (rc == CB_OK) {
        s_journal.kept[slot] = false;
        cb_port_log(CB_LOG_WARN, "journal: slot %c (%s) set aside, not erased", SLOT_NAME(slot),
                    why);
        return;
    }
    s_journal.kept[slot] = true;
    cb_port_log(CB_LOG_WARN, "journal: slot %c (%s) left untouched (%s)", SLOT_NAME(slot), why,
                cb_err_str(rc));
}

/* Steps 4-8; step 8 sets a damaged old slot aside instead of erasing it. */
static int ccommit(void)
{
    cb_slot_t old = s_journal.active, dst = other_slot(old);
    s_journal.compacting = false;
    int rc = cb_port_store_sync(dst);
    if (rc != CB_OK)
        return CB_ERR_STORAGE;
    uint8_t pl[COMMIT_PAYLOAD];
    put_le32(pl, s_journal.gen + 1);
    put_le32(pl + 4, s_journal.c_count);
    uint32_t n = frame(TYPE_COMMIT, pl, sizeof pl);
    rc = cb_port_store_append(dst, s_journal.buf, n);
    if (rc == CB_OK)
        rc = cb_port_store_sync(dst);
    if (rc != CB_OK) {
        /* N may be committed on the medium: it must not outlive this. */
        s_journal.other_unsafe = true;
        if (cb_port_store_erase(dst) == CB_OK)
            s_journal.other_unsafe = false;
        else
            cb_port_log(CB_LOG_ERROR,
                        "journal: abandoned compaction in slot %c not erased; "
                        "refusing writes until it is",
                        SLOT_NAME(dst));
        return port_err(rc);
    }
    s_journal.active = dst;
    s_journal.gen++;
    s_journal.end = s_journal.synced = s_journal.c_end + n;
    s_journal.tail_dirty = false;
    if (s_journal.src_damaged)
        set_aside(old, "damaged; its good records copied");
    else if (!s_journal.kept[old] && cb_port_store_erase(old) != CB_OK)
        cb_port_log(CB_LOG_WARN, "journal: old slot %c not erased (harmless: older generation)",
                    SLOT_NAME(old));
    s_journal.src_damaged = false;
    return CB_OK;
}

/* Rewrites the active slot's good records up to end into the other slot and
 * switches to it: how a tail or damage is cut on a medium that cannot
 * truncate. */
static int clean(void)
{
    cb_slot_t src = s_journal.active;
    int rc = cbegin();
    if (rc == CB_OK) {
        slot_info_t info;
        rc = scan(src, s_journal.end, &info, SCAN_COPY, NULL, NULL, true);
        if (rc != CB_OK)
            s_journal.compacting = false;
    }
    return rc == CB_OK ? ccommit() : rc;
}

/* Before anything is accepted: the other slot must not hide it, and nothing
 * may be appended after garbage. */
static int make_clean(void)
{
    if (s_journal.other_unsafe) {
        if (cb_port_store_erase(other_slot(s_journal.active)) != CB_OK)
            return CB_ERR_STORAGE;
        s_journal.other_unsafe = false;
    }
    return s_journal.tail_dirty ? clean() : CB_OK;
}

/* Generations compare as serial numbers (RFC 1982), so 0 follows 0xffffffff:
 * the two slots are never more than one apart. */
static bool newer(uint32_t a, uint32_t b)
{
    return a != b && a - b < 0x80000000u;
}

/* The slot to open: the newest committed, else the fullest with a header
 * (ties: the older, the source of an interrupted copy), else the fullest
 * without one that still holds records, else -1. */
static int choose(const slot_info_t info[CB_SLOT_COUNT])
{
    int best = -1;
    for (int i = 0; i < CB_SLOT_COUNT; i++)
        if (info[i].committed && (best < 0 || newer(info[i].gen, info[best].gen)))
            best = i;
    if (best >= 0)
        return best;
    for (int i = 0; i < CB_SLOT_COUNT; i++)
        if (info[i].header &&
            (best < 0 || info[i].count > info[best].count ||
             (info[i].count == info[best].count && newer(info[best].gen, info[i].gen))))
            best = i;
    if (best >= 0)
        return best;
    for (int i = 0; i < CB_SLOT_COUNT; i++)
        if (info[i].count > 0 && (best < 0 || info[i].count > info[best].count))
            best = i;
    return best;
}

/* Nothing to open: generation 1 in a slot that is empty or set aside (A
 * first), as a compaction of nothing out of the other. */
static int create(const uint32_t size[CB_SLOT_COUNT])
{
    int dst = -1;
    for (int i = 0; i < CB_SLOT_COUNT && dst < 0; i++)
        if (size[i] == 0 || !s_journal.kept[i])
            dst = i;
    if (dst < 0) {
        cb_port_log(CB_LOG_ERROR, "journal: both slots hold unreadable data that cannot be "
                                  "set aside; not erased, no journal");
        return CB_ERR_STORAGE;
    }
    s_journal.active = other_slot((cb_slot_t)dst);
    s_journal.gen = s_journal.end = s_journal.synced = 0;
    int rc = cbegin();
    if (rc == CB_OK)
        rc = ccommit();
    if (rc != CB_OK)
        cb_port_log(CB_LOG_ERROR, "journal: cannot create a journal (%s)", cb_err_str(rc));
    return rc == CB_OK ? CB_OK : CB_ERR_STORAGE;
}

/* Opens the slot chosen: damage, a tail or a missing COMMIT is cut by a
 * clean (a damaged slot is then set aside). */
static void open_slot(cb_slot_t slot, const slot_info_t *in, uint32_t size)
{
    s_journal.active = slot;
    s_journal.gen = in->gen;
    s_journal.end = s_journal.synced = in->end;
    s_journal.src_damaged = !in->header || in->skipped > 0;
    if (!s_journal.src_damaged && in->end == size && in->committed)
        return;
    if (!in->header)
        cb_port_log(CB_LOG_WARN, "journal: slot %c: header damaged; %u good records kept",
                    SLOT_NAME(slot), (unsigned)in->count);
    if (in->end < size)
        cb_port_log(CB_LOG_WARN,
                    "journal: slot %c: torn or corrupt record at offset %u "
                    "(%u bytes stored); tail cut",
                    SLOT_NAME(slot), (unsigned)in->end, (unsigned)size);
    else if (!in->committed)
        cb_port_log(CB_LOG_WARN, "journal: slot %c: generation %u never committed", SLOT_NAME(slot),
                    (unsigned)in->gen);
    s_journal.tail_dirty = true;
    int rc = clean();
    if (rc != CB_OK)
        cb_port_log(CB_LOG_ERROR, "journal: cannot rewrite slot %c (%s); will retry",
                    SLOT_NAME(slot), cb_err_str(rc));
}

int cb_journal_open(cb_journal_visit_fn visit, void *ctx)
{
    uint32_t size[CB_SLOT_COUNT];
    slot_info_t info[CB_SLOT_COUNT];
    memset(&s_journal, 0, sizeof s_journal);
    for (int i = 0; i < CB_SLOT_COUNT; i++) {
        if (cb_port_store_open((cb_slot_t)i, &size[i]) != CB_OK ||
            scan((cb_slot_t)i, size[i], &info[i], SCAN_INFO, NULL, NULL, true) != CB_OK) {
            cb_port_log(CB_LOG_ERROR, "journal: slot %c cannot be read", SLOT_NAME(i));
            return CB_ERR_STORAGE;
        }
    }
    int pick = choose(info);
    /* a slot that cannot be identified holds nothing to replay, and an older
     * one with damage may hold what the newer lost: never erase them */
    for (int i = 0; i < CB_SLOT_COUNT; i++) {
        if (i == pick || size[i] == 0)
            continue;
        if (!info[i].header && !info[i].committed)
            set_aside((cb_slot_t)i, "unreadable");
        else if (!info[i].header || info[i].skipped > 0)
            set_aside((cb_slot_t)i, "damaged, older");
    }
    if (pick < 0) {
        if (create(size) != CB_OK)
            return CB_ERR_STORAGE;
    } else {
        cb_journal_damage_t *d = &s_journal.damage;
        d->skipped_bytes = info[pick].skipped;
        d->skipped_ranges = info[pick].ranges;
        memcpy(d->range, info[pick].range, sizeof d->range);
        d->slot = (uint8_t)pick;
        d->header_bad = !info[pick].header;
        bool stale = size[1 - pick] > 0 && !s_journal.kept[1 - pick];
        open_slot((cb_slot_t)pick, &info[pick], size[pick]);
        if (stale && s_journal.active == (cb_slot_t)pick &&
            cb_port_store_erase(other_slot((cb_slot_t)pick)) != CB_OK)
            cb_port_log(CB_LOG_WARN, "journal: stale slot %c not erased",
                        SLOT_NAME(other_slot((cb_slot_t)pick)));
    }
    s_journal.open = true;
    slot_info_t now;
    s_journal.replaying = true;
    int rc = scan(s_journal.active, s_journal.end, &now, SCAN_VISIT, visit, ctx, false);
    s_journal.replaying = false;
    if (rc != CB_OK || now.end != s_journal.end) {
        cb_port_log(CB_LOG_ERROR, "journal: slot %c changed while opening",
                    SLOT_NAME(s_journal.active));
        s_journal.open = false;
        return CB_ERR_STORAGE;
    }
    cb_port_log(CB_LOG_INFO, "journal: slot %c, generation %u, %u records, %u bytes",
                SLOT_NAME(s_journal.active), (unsigned)s_journal.gen, (unsigned)now.count,
                (unsigned)s_journal.end);
    return CB_OK;
}

void cb_journal_damage(cb_journal_damage_t *out)
{
    *out = s_journal.damage;
}

/* Writes n bytes of framed records at the end of the active slot (the
 * payload of a single record may be in buf: framed only after the clean). */
static int write_records(const uint8_t *recs, uint32_t n, uint8_t type, const void *payload)
{
    if (s_journal.replaying)
        return CB_ERR_BUSY;
    if (s_journal.compacting) { /* never write O under a compaction: drop it */
        cb_port_log(CB_LOG_WARN, "journal: append during a compaction; compaction abandoned");
        s_journal.compacting = false;
    }
    int rc = make_clean();
    if (rc != CB_OK)
        return rc;
    uint32_t cap = cb_port_store_capacity(s_journal.active);
    if (s_journal.end > cap || cap - s_journal.end < n)
        return CB_ERR_NOSPC;
    if (!recs) {
        frame(type, payload, n - OVERHEAD);
        recs = s_journal.buf;
    }
    rc = cb_port_store_append(s_journal.active, recs, n);
    if (rc != CB_OK) {
        s_journal.tail_dirty = true; /* maybe a partial record: clean before the next */
        return port_err(rc);
    }
    s_journal.end += n;
    return CB_OK;
}

int cb_journal_append(uint8_t type, const void *payload, size_t len)
{
    if (!s_journal.open)
        return CB_ERR_STORAGE;
    if (type > TYPE_USER_MAX || (len && !payload))
        return CB_ERR_INVAL;
    if (len > CB_CFG_RECORD_MAX)
        return CB_ERR_TOO_LARGE;
    return write_records(NULL, (uint32_t)len + OVERHEAD, type, payload);
}

int cb_journal_append_framed(const uint8_t *recs, size_t len)
{
    if (!s_journal.open)
        return CB_ERR_STORAGE;
    if (!recs || len > 0x7fffffffu)
        return CB_ERR_INVAL;
    for (size_t off = 0; off < len;) { /* whole records of the caller's types */
        if (len - off < OVERHEAD || recs[off] != SYNC_BYTE || recs[off + 1] > TYPE_USER_MAX)
            return CB_ERR_INVAL;
        uint32_t n = get_le32(recs + off + 2);
        if (n > CB_CFG_RECORD_MAX || n > len - off - OVERHEAD)
            return CB_ERR_INVAL;
        off += n + OVERHEAD;
    }
    return len ? write_records(recs, (uint32_t)len, 0, NULL) : CB_OK;
}

/* After a failed sync: the records since the last good one are not stored. */
static void drop_unsynced(void)
{
    if (s_journal.end == s_journal.synced)
        return;
    cb_port_log(CB_LOG_WARN, "journal: %u bytes not made durable are dropped",
                (unsigned)(s_journal.end - s_journal.synced));
    s_journal.end = s_journal.synced;
    s_journal.tail_dirty = true;
}

int cb_journal_sync(void)
{
    if (!s_journal.open)
        return CB_ERR_STORAGE;
    if (s_journal.other_unsafe) {
        if (cb_port_store_erase(other_slot(s_journal.active)) != CB_OK) {
            drop_unsynced();
            return CB_ERR_STORAGE;
        }
        s_journal.other_unsafe = false;
    }
    if (s_journal.synced == s_journal.end)
        return CB_OK;
    if (cb_port_store_sync(s_journal.active) != CB_OK) {
        drop_unsynced();
        /* best effort now, so the dropped bytes leave the medium soon;
         * else the next append cleans */
        if (!s_journal.compacting && !s_journal.replaying)
            (void)clean();
        return CB_ERR_STORAGE;
    }
    s_journal.synced = s_journal.end;
    return CB_OK;
}

int cb_journal_replay(cb_journal_visit_fn visit, void *ctx)
{
    if (!s_journal.open)
        return CB_ERR_STORAGE;
    if (s_journal.replaying)
        return CB_ERR_BUSY;
    slot_info_t info;
    s_journal.replaying = true;
    int rc = scan(s_journal.active, s_journal.end, &info, SCAN_VISIT, visit, ctx, true);
    s_journal.replaying = false;
    if (rc != CB_OK)
        return CB_ERR_STORAGE;
    if (info.end != s_journal.end) {
        cb_port_log(CB_LOG_ERROR, "journal: slot %c: record at offset %u no longer verifies",
                    SLOT_NAME(s_journal.active), (unsigned)info.end);
        return CB_ERR_CORRUPT;
    }
    return CB_OK;
}

uint32_t cb_journal_size(void)
{
    return s_journal.open ? s_journal.end : 0;
}

int cb_journal_compact_begin(void)
{
    if (!s_journal.open)
        return CB_ERR_STORAGE;
    if (s_journal.replaying)
        return CB_ERR_BUSY;
    return cbegin();
}

int cb_journal_compact_add(uint8_t type, const void *payload, size_t len)
{
    if (!s_journal.open || !s_journal.compacting)
        return CB_ERR_INVAL;
    /* any error abandons the compaction: a set with a record missing must
     * never be committed */
    int rc = CB_OK;
    if (type > TYPE_USER_MAX || (len && !payload))
        rc = CB_ERR_INVAL;
    else if (len > CB_CFG_RECORD_MAX)
        rc = CB_ERR_TOO_LARGE;
    if (rc != CB_OK) {
        s_journal.compacting = false;
        return rc;
    }
    return cadd(frame(type, payload, len));
}

int cb_journal_compact_commit(void)
{
    if (!s_journal.open || !s_journal.compacting)
        return CB_ERR_INVAL;
    if (s_journal.replaying)
        return CB_ERR_BUSY;
    return ccommit();
}
