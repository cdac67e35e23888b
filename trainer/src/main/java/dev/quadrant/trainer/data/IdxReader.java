package dev.quadrant.trainer.data;

import dev.quadrant.device.UserInputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an MNIST-style dataset: a directory holding the four standard IDX files
 * <pre>
 * train-images-idx3-ubyte   train-labels-idx1-ubyte   t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte
 * </pre>
 * each raw or gzipped ({@code .gz}); the spelling with a dot ({@code train-images.idx3-ubyte}) is accepted too. When
 * both a raw and a gzipped file are present the raw one is read. Pixels become floats {@code byte / 255f} in [0, 1],
 * and each image keeps its shape, channels last: the input field is {@code x F32[28, 28, 1]} for MNIST (an idx4
 * file, {@code [n, H, W, C]}, gives {@code x F32[H, W, C]}), stored row-major; {@code classes} is the largest label (train or test) plus one, at least 2.
 * Works for MNIST, Fashion-MNIST, KMNIST and any other set of unsigned-byte IDX files of this layout.
 *
 * <p>Everything is checked and reported as a {@link DataFormatException} naming the file: magic numbers, data type
 * and dimension count, counts (images against labels, train image size against test image size), truncated files,
 * bytes after the data, corrupt gzip data, and header sizes too large to be real (rejected before allocating).
 * Reading the full MNIST takes well under a second (see the test {@code IdxReaderRealDataTest}).
 *
 * <p>Stateless; thread-safe. Example:
 * <pre>{@code
 * DataSplit mnist = IdxReader.read(Path.of("/data/mnist"));
 * mnist.train().size();      // 60000
 * mnist.train().features();  // 784
 * mnist.schema().input();     // x F32[28, 28, 1]
 * }</pre>
 */
public final class IdxReader {
    /** The four files, in the order train images, train labels, test images, test labels (without {@code .gz}). */
    public static final List<String> FILES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    private IdxReader() {}

    /**
     * Reads the training and test sets from {@code dir}; the datasets are named {@code DIRNAME/train} and
     * {@code DIRNAME/test}.
     *
     * @throws UserInputException  if the directory or one of the files is missing (the message lists the names
     *                             looked for) or cannot be read
     * @throws DataFormatException if a file is malformed
     */
    public static DataSplit read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UserInputException(dir + ": " + (Files.exists(dir) ? "not a directory" : "no such directory")
                    + ", expected a directory holding " + String.join(", ", FILES) + " (each may end in .gz)");
        }
        Path[] files = new Path[FILES.size()];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < files.length; i++) {
            files[i] = find(dir, FILES.get(i));
            if (files[i] == null) {
                missing.add(String.join(" or ", candidates(FILES.get(i))));
            }
        }
        if (!missing.isEmpty()) {
            throw new UserInputException(dir + ": missing " + missing.size() + " of the 4 IDX files: looked for "
                    + String.join("; ", missing));
        }
        String name = dir.toAbsolutePath().normalize().getFileName() == null
                ? "idx" : dir.toAbsolutePath().normalize().getFileName().toString();
        IdxFile.Source[] sources = new IdxFile.Source[files.length];
        for (int i = 0; i < files.length; i++) {
            sources[i] = IdxFile.Source.of(files[i]);
        }
        return read(name, sources);
    }

    /**
     * Reads the four files (train images, train labels, test images, test labels) from {@code files}; the datasets are
     * named {@code name/train} and {@code name/test}. For files in memory (tests, fuzzing).
     */
    static DataSplit read(String name, IdxFile.Source... files) {
        IdxFile.Images trainImages = IdxFile.readImages(files[0]);
        IdxFile.Labels trainLabels = IdxFile.readLabels(files[1]);
        IdxFile.Images testImages = IdxFile.readImages(files[2]);
        IdxFile.Labels testLabels = IdxFile.readLabels(files[3]);
        checkCounts(trainImages, trainLabels);
        checkCounts(testImages, testLabels);
        if (!java.util.Arrays.equals(testImages.shape(), trainImages.shape())) {
            throw new DataFormatException(files[2].name(), "image size", sizeText(testImages),
                    sizeText(trainImages) + " as in " + files[0].name());
        }
        int classes = Math.max(trainLabels.max(), testLabels.max()) + 1;
        if (classes < 2) {
            throw new DataFormatException(files[1].name(), "label values", "only label 0 (in train and test)",
                    "at least two classes, labels 0 and 1 or more");
        }
        int[] shape = trainImages.shape();
        return new DataSplit(
                new Dataset(name + "/train", shape, classes, trainImages.pixels(), trainLabels.labels()),
                new Dataset(name + "/test", shape, classes, testImages.pixels(), testLabels.labels()));
    }

    /** {@code 28 x 28}, or {@code 32 x 32 x 3} for images with channels. */
    private static String sizeText(IdxFile.Images images) {
        return images.rows() + " x " + images.cols() + (images.channels() == 1 ? "" : " x " + images.channels());
    }

    private static void checkCounts(IdxFile.Images images, IdxFile.Labels labels) {
        if (images.count() != labels.count()) {
            throw new DataFormatException(labels.file(), "item count", String.valueOf(labels.count()),
                    images.count() + ", the number of images in " + images.file());
        }
    }

    /** Names tried for one file, in order of preference. */
    static List<String> candidates(String base) {
        String dotted = base.replaceFirst("-(idx\\d-ubyte)$", ".$1");
        return List.of(base, base + ".gz", dotted, dotted + ".gz");
    }

    private static Path find(Path dir, String base) {
        for (String name : candidates(base)) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }
}
