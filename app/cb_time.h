/* cb_time.h - lenient timestamp reading (SPEC 1) for the replay window. */
#ifndef CB_TIME_H
#define CB_TIME_H

#include "cb_span.h"

#include <stdint.h>

/* Reads an ISO 8601 date-time: YYYY-MM-DDThh:mm[:ss[.fraction]] with Z,
 * +hh:mm, +hhmm or +hh, or no zone (read as UTC, SPEC 3), lower-case t/z or a
 * space for T accepted, a one-digit hour accepted ("2022-01-01T0:00:00+0000"); or an all-digit Unix
 * time (milliseconds when it has 12 or more digits, else seconds). Field ranges are checked (month
 * 1-12, day within month, leap years). CB_OK with *epoch_ms, or CB_ERR_INVAL when it cannot be
 * read. */
int cb_time_parse(cb_span_t s, int64_t *epoch_ms);

#endif
