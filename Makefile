# ParallelJob. `make demo` runs pi on a local kind cluster; `make test` runs every suite (e2e on kind through Testcontainers).
SHELL := /bin/bash
MVN ?= mvn -B
# kubectl, helm, kind, kube-apiserver and etcd as hack/build-binaries.sh builds them (cached by version).
BIN_DIR := $(shell hack/build-binaries.sh path)
export PATH := $(BIN_DIR):$(PATH)
# fabric8 kube-api-test finds a real kube-apiserver + etcd here (no download).
export KUBE_API_TEST_DIR := $(HOME)/.kubeapitest

.PHONY: build test test-unit kubeapitest-bin s3-bin e2e-prereqs test-e2e test-reliability test-gpu demo demo-down bench bench-executors bench-operator crds node-image images run-local clean

build:                 ## compile and package every module (no tests)
	$(MVN) -q package -DskipTests

test: test-unit test-e2e   ## everything: unit + reconcile-logic + real API server + end-to-end on kind (Testcontainers)
	@hack/test-report.py .

# What CI installs: a test that needs one of these fails where it is missing instead of skipping
# (dev.parallel.api.testing.Preconditions). Empty it to run on a machine that lacks some: make test TESTS_REQUIRED=
TESTS_REQUIRED ?= kube-apiserver,helm,mpirun,kueue,s3

test-unit: kubeapitest-bin s3-bin  ## unit tests, mock-server reconcile tests, CRD staleness, real-API-server tests
	$(MVN) install -Dtests.required=$(TESTS_REQUIRED)

kubeapitest-bin:
	@if [ -x $(BIN_DIR)/kube-apiserver ]; then \
	  d=$(KUBE_API_TEST_DIR)/k8s/$$(. hack/versions.env; echo $${KUBE_VERSION#v})-linux-amd64; mkdir -p $$d; \
	  for b in kube-apiserver etcd kubectl; do ln -sf $(BIN_DIR)/$$b $$d/$$b; done; \
	else echo "no cluster binaries yet (hack/build-binaries.sh): real-API-server tests will skip"; fi

# SeaweedFS's weed (hack/s3.sh: built from its Go module, cached by version): the real S3-compatible server of
# S3StoreTest and ResultsCommandTest on the host (dev.parallel.api.testing.S3Server) and of the e2e suite's ObjectStore.
s3-bin:
	hack/s3.sh build

# What the kind-based suites need: a Docker engine, the node image, our images (docker-archive tars the
# testkit loads into the node), a real Kueue (hack/kueue.sh: its manager built from its Go module, its
# install manifests; the image from hack/images.sh kueue), SeaweedFS (hack/s3.sh, image hack/images.sh s3). E2E_ENV points the testkit at them (these VMs
# have a /.dockerenv, so Testcontainers would use the bridge gateway as the host; the API port is
# published on 127.0.0.1).
IMAGES_DIR := $(or $(PJ_CACHE),$(HOME)/.cache/parallel-job)/images
E2E_ENV = TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 PJ_KIND_NODE_IMAGE=$$(hack/kind-node.sh image) \
  PJ_IMAGE_ARCHIVES=$(IMAGES_DIR)/operator.tar,$(IMAGES_DIR)/job.tar,$(IMAGES_DIR)/busybox.tar,$(IMAGES_DIR)/kueue.tar,$(IMAGES_DIR)/s3.tar \
  PJ_KUEUE_MANIFESTS=$$(hack/kueue.sh path)/manifests.yaml

e2e-prereqs:
	hack/docker.sh up
	hack/kind-node.sh build
	hack/kueue.sh build
	hack/s3.sh build
	hack/images.sh job && hack/images.sh operator && hack/images.sh busybox && hack/images.sh kueue && hack/images.sh s3

test-e2e: e2e-prereqs  ## every e2e suite and the testkit's example on kind nodes started by Testcontainers
	export $(E2E_ENV) && cd testkit && $(MVN) test -De2e=true -Dtests.required=$(TESTS_REQUIRED)
	export $(E2E_ENV) && cd e2e && $(MVN) test -De2e=true -Dtests.required=$(TESTS_REQUIRED)

test-reliability: e2e-prereqs  ## the fault, bad-input and scale suites at full size (500 ParallelJobs); figures in e2e/target/reliability.txt
	export $(E2E_ENV) && cd e2e && rm -f target/reliability.txt && $(MVN) test -De2e=true -Dreliability.jobs=500 \
	    -Dtest='ReliabilityE2ETest,BadInputE2ETest,ScaleE2ETest' -Dsurefire.failIfNoSpecifiedTests=false

test-gpu:              ## on a GPU node: the CUDA launch tests must run (not skip); needs the NVIDIA driver, no toolkit
	$(MVN) -q install -DskipTests -pl job-image -am
	cd job-image && $(MVN) test -Dtest='Cuda*' -Dgpu.required=true -Dsurefire.failIfNoSpecifiedTests=false

demo:                  ## a local kind cluster + operator (Helm) + k8s-examples/pi.yaml; prints the gathered result
	hack/demo.sh

demo-down:             ## deletes the demo's kind cluster and stops the Docker engine hack/docker.sh started
	hack/demo.sh down

run-local:             ## the pi example without any cluster
	$(MVN) -q package -DskipTests -pl job-image -am && java -jar job-image/target/parallel-job.jar run k8s-examples/pi.yaml

bench:                 ## ours vs the tutorial's Python tools vs C/OpenMP on identical tasks; writes docs/benchmarks.md (+ chart)
	$(MVN) -q package -DskipTests -pl job-image -am && python3 bench/run.py

bench-executors:       ## the job image's own executors (sequential/threads/processes/mpi): tasks/s, dispatch overhead
	$(MVN) -q package -DskipTests -pl job-image -am && java -jar job-image/target/parallel-job.jar bench

bench-operator: e2e-prereqs  ## control-plane benchmark on kind (apply->Job latency, 1,000 ParallelJobs, memory)
	export $(E2E_ENV) && cd e2e && $(MVN) test -De2e=true -Dtest=ControlPlaneBench -Dsurefire.failIfNoSpecifiedTests=false

crds:                  ## regenerate crds/ and the Helm chart's copy from the API types
	$(MVN) -q process-classes -pl api -am
	cp api/target/classes/META-INF/fabric8/paralleljobs.parallel.dev-v1.yml api/target/classes/META-INF/fabric8/taskresultbatches.parallel.dev-v1.yml crds/
	cp crds/paralleljobs.parallel.dev-v1.yml crds/taskresultbatches.parallel.dev-v1.yml helm/parallel-job-operator/crds/

node-image:            ## the kind node image, built offline (or the official one where a registry answers)
	hack/kind-node.sh build

images: build
	hack/images.sh all

clean:
	$(MVN) -q clean
