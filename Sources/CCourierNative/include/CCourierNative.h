#include "courier_crc32c.h"
#include "courier_file.h"
#include "courier_thread.h"
