// Compiled mode: the definitions of sipevents/winfo/impl/winfo_package.ipp in the library.
#include "sipevents/winfo/impl/winfo_package.ipp"
