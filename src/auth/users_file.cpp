// Compiled mode: the definitions of sipevents/auth/impl/users_file.ipp in the library.
#include "sipevents/auth/impl/users_file.ipp"
