/* cb_log.h - what every port's log line shares: the level's name. */
#ifndef CB_LOG_H
#define CB_LOG_H

#include "cb_port.h"

/* Five-character name of a level ("ERROR", "WARN ", "INFO ", "DEBUG"). */
const char *cb_log_level_name(cb_log_level_t level);

#endif
