#ifndef POPS_VERSION_H
#define POPS_VERSION_H

#ifndef POPS_VERSION
# define POPS_VERSION "0.1.0"
#endif

#endif
