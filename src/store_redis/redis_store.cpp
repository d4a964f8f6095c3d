// Compiled mode: the definitions of sipevents/store_redis/impl/redis_store.ipp in the library.
#include "sipevents/store_redis/impl/redis_store.ipp"
