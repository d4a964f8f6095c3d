// Heap bytes held by the program, counted by replacing global new/delete: what a
// benchmark divides by the objects it created. Include from exactly one file.
#pragma once
#include <malloc.h>

#include <cstdlib>
#include <new>

namespace bench {
inline std::size_t g_live = 0;  ///< bytes now held through operator new
}

void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  bench::g_live += malloc_usable_size(p);
  return p;
}
void operator delete(void* p) noexcept {
  if (p) bench::g_live -= malloc_usable_size(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
