/**
 * Images and datasets: {@link dev.anomalysdk.core.data.ImageFiles} decodes PNG, JPEG, BMP and TIFF files
 * (strictly: truncated files are errors) and writes PNGs; {@link dev.anomalysdk.core.data.DatasetReader}
 * implementations read the public benchmark layouts (MVTec AD, MPDD, VisA, MVTec AD 2, BTAD, KolektorSDD2,
 * Real-IAD) and plain folders into {@link dev.anomalysdk.core.data.DatasetSplit}s of lazily loaded
 * {@link dev.anomalysdk.core.data.Sample}s; {@link dev.anomalysdk.core.data.DatasetReaders} finds a reader by
 * name or by layout; {@link dev.anomalysdk.core.data.SyntheticDataset} writes a small deterministic dataset in
 * MVTec layout for demos and tests.
 */
package dev.anomalysdk.core.data;
