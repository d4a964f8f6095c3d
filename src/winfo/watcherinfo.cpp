// Compiled mode: the definitions of sipevents/winfo/impl/watcherinfo.ipp in the library.
#include "sipevents/winfo/impl/watcherinfo.ipp"
