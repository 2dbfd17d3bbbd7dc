// Composition root: reads the configuration once, builds the adapters and wires
// them into the use cases. Nothing else in the program creates an adapter.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("fixit-exchange %s\n", FIXIT_VERSION);
      return 0;
    }
  }
  std::printf("usage: fixit-exchange [--version]\n");
  return 0;
}
