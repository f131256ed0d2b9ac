/* The environment the portable cores get on the host (hosted C): memory from malloc, the
 * clock from the local time. One definition for every host tool. */
#ifndef BB_TOOLS_HOSTENV_H
#define BB_TOOLS_HOSTENV_H

#include "fs/fat/fat.h"
#include "lib/reg/reg.h"

extern const struct fat_env host_fat_env;
extern const struct reg_env host_reg_env;

#endif
