#define _GNU_SOURCE
#include "courier_thread.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

int courier_thread_set_nice(int nice) {
#if defined(__linux__)
    pid_t thread = gettid();
    errno = 0;
    int previous = getpriority(PRIO_PROCESS, (id_t)thread);
    if (previous == -1 && errno != 0) previous = 0;
    (void)setpriority(PRIO_PROCESS, (id_t)thread, nice);
    return previous;
#else
    return nice;
#endif
}
