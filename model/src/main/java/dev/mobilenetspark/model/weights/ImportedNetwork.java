package dev.mobilenetspark.model.weights;

import dev.mobilenetspark.model.MobileNetConfig;

import org.deeplearning4j.nn.graph.ComputationGraph;

/** A network built by this project's builder for {@code config}, holding imported weights. */
record ImportedNetwork(MobileNetConfig config, ComputationGraph network) { }
