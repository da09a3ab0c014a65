/* beamflow: the whole public API. */
#ifndef BEAMFLOW_H
#define BEAMFLOW_H

#define BEAMFLOW_VERSION "0.1.0"

#include "beamflow/core.h"
#include "beamflow/config.h"
#include "beamflow/engine.h"
#include "beamflow/demo.h"
#include "beamflow/plot.h"
#include "beamflow/nexus.h"
#include "beamflow/ai.h"
#include "beamflow/integrate.h"
#include "beamflow/io.h"
#include "beamflow/ms.h"

#endif
