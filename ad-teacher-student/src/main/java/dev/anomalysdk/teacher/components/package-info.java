/**
 * Building blocks shared by the teacher-student detectors: opening frozen teachers
 * ({@link dev.anomalysdk.teacher.components.Teachers}), teacher-student feature distances
 * ({@link dev.anomalysdk.teacher.components.FeatureDistance}), per-layer map upsampling and combination
 * ({@link dev.anomalysdk.teacher.components.AnomalyMaps}, {@link dev.anomalysdk.teacher.components.MapAggregation}),
 * in-memory training batches ({@link dev.anomalysdk.teacher.components.TrainingImages}), ResNet encoder and
 * decoder stages ({@link dev.anomalysdk.teacher.components.ResNetBlocks}) and a no-autograd scope
 * ({@link dev.anomalysdk.teacher.components.NoGrad}).
 */
package dev.anomalysdk.teacher.components;
