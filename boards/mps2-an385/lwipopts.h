/* lwipopts.h - lwIP's options on mps2-an385: the template's defaults
 * (third_party/lwip/cb_lwipopts.h; 4 MiB of RAM leaves room for them). */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#include "cb_lwipopts.h"

#endif
