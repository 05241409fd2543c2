#ifndef COURIER_THREAD_H
#define COURIER_THREAD_H

/// Sets the calling thread's nice value (Linux: per thread) and returns the previous one, so that
/// background work (snapshots, archiving) yields the CPU to request handling. Elsewhere a no-op
/// returning `nice`.
int courier_thread_set_nice(int nice);

#endif
