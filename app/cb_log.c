/* cb_log.c - level names for the ports' log lines (cb_log.h). */
#include "cb_log.h"

const char *cb_log_level_name(cb_log_level_t level)
{
    switch (level) {
    case CB_LOG_ERROR:
        return "ERROR";
    case CB_LOG_WARN:
        return "WARN ";
    case CB_LOG_INFO:
        return "INFO ";
    case CB_LOG_DEBUG:
        return "DEBUG";
    }
    return "?    ";
}
