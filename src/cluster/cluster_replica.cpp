// Compiled mode: the definitions of sipevents/cluster/impl/cluster_replica.ipp in the library.
#include "sipevents/cluster/impl/cluster_replica.ipp"
