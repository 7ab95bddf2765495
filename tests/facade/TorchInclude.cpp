// Must NOT compile with the usage requirements ui/ gets: LibTorch stays
// private to core (tests/facade/CheckFacade.cmake expects this to fail).
#include <torch/torch.h>

int spooflensFacadeProbe() { return int(torch::ones({2}).numel()); }
