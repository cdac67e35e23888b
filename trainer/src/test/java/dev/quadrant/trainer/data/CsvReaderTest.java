package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.quadrant.device.UserInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {
    @TempDir
    Path dir;

    private Path csv(String content) {
        try {
            Path file = dir.resolve("data.csv");
            Files.writeString(file, content, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private DataFormatException fails(String content, int labelColumn) {
        Path file = csv(content);
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(file, labelColumn));
        assertEquals(file.toString(), e.file());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    private static void contains(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks \"" + p + "\": " + e.getMessage());
        }
    }

    @Test
    void readsLabelInLastColumnWithoutHeader() {
        Dataset d = CsvReader.read(csv("1,2,0\n3.5,-4e-1,1\n0.25, 7 ,2\n"), CsvReader.LAST_COLUMN);
        assertEquals("data", d.name());
        assertEquals(3, d.size());
        assertEquals(2, d.features());
        assertEquals(3, d.classes());
        assertArrayEquals(new float[] {1, 2, 3.5f, -0.4f, 0.25f, 7}, d.x(), 0f);
        assertArrayEquals(new int[] {0, 1, 2}, d.y());
    }

    @Test
    void detectsHeaderAndHonoursLabelColumn() {
        String text = "\uFEFFlabel, width ,height\r\n\r\n1,10,20\r\n  \r\n0,30,40\r\n";
        Dataset d = CsvReader.read(csv(text), 0);
        assertEquals(2, d.size());
        assertArrayEquals(new float[] {10, 20, 30, 40}, d.x(), 0f);
        assertArrayEquals(new int[] {1, 0}, d.y());
        Dataset middle = CsvReader.read(csv("a,b,c\n5,1,6\n7,0,8\n"), -2);
        assertArrayEquals(new float[] {5, 6, 7, 8}, middle.x(), 0f);
        assertArrayEquals(new int[] {1, 0}, middle.y());
    }

    @Test
    void headerOnlyWhenAFeatureColumnIsNotANumber() {
        // The label column of the first row is not a feature column: "1,2,label" is data with a bad label.
        DataFormatException e = fails("1,2,label\n3,4,1\n", -1);
        assertEquals("row 1 column 3 (the label)", e.field());
        contains(e, "saw \"label\"", "integer class label");
    }

    @Test
    void labelsMayBeWrittenAsIntegralFloats() {
        Dataset d = CsvReader.read(csv("1,0.0\n2,2.0\n3,1e0\n"), -1);
        assertArrayEquals(new int[] {0, 2, 1}, d.y());
    }

    @Test
    void wrongColumnCount() {
        DataFormatException e = fails("x,y,label\n1,2,0\n\n3,4\n", -1);
        assertEquals("row 4", e.field());
        contains(e, "saw 2 columns", "expected 3 columns as in row 1");
        e = fails("1,2,0\n3,4,1,\n", -1);
        contains(e, "row 2: saw 4 columns, expected 3 columns as in row 1");
        e = fails("1\n2\n", -1);
        contains(e, "row 1: saw 1 column", "at least 2");
    }

    @Test
    void nonNumbers() {
        for (String bad : new String[] {"abc", "", "1,5", "NaN", "Infinity", "0x10", "1f", "1e", "--1", "1.2.3",
                "\u0663"}) {
            String text = "1,2,0\n3,4,1\n5," + bad + ",1\n";
            DataFormatException e = fails(text, -1);
            if (bad.equals("1,5")) {
                assertEquals("row 3", e.field(), e.getMessage());   // an extra comma: a column count error
                continue;
            }
            assertEquals("row 3 column 2", e.field(), bad + ": " + e.getMessage());
            assertEquals("\"" + bad + "\"", e.seen(), e.getMessage());
            assertEquals("a number", e.expected());
        }
        DataFormatException e = fails("1,2,0\n3,1e39,1\n", -1);
        assertEquals("row 2 column 2", e.field());
        contains(e, "float range");
    }

    @Test
    void badLabels() {
        contains(fails("1,0\n2,1.5\n", -1), "row 2 column 2 (the label): saw \"1.5\" (not an integer)");
        contains(fails("1,0\n2,-1\n", -1), "saw \"-1\" (negative)");
        contains(fails("1,0\n2,10000\n", -1), "saw \"10000\" (too large)", "0..9999");
        contains(fails("1,0\n2,x\n", -1), "saw \"x\"");
        contains(fails("1,0\n2,0\n", -1), "only label 0", "at least two classes");
    }

    @Test
    void emptyFilesAndHeaderOnly() {
        contains(fails("", -1), "data rows: saw none");
        contains(fails("\n  \n", -1), "data rows: saw none");
        contains(fails("a,b\n", -1), "data rows: saw only a header");
    }

    @Test
    void labelColumnOutOfRange() {
        Path file = csv("1,2,0\n3,4,1\n");
        for (int bad : new int[] {3, -4, 100}) {
            UserInputException e = assertThrows(UserInputException.class, () -> CsvReader.read(file, bad));
            contains(e, "label column: saw " + bad, "expected -3..2 for a file with 3 columns");
        }
        assertEquals(4, CsvReader.read(file, -3).classes()); // column 0 is the label: values 1 and 3
    }

    @Test
    void missingFile() {
        UserInputException e = assertThrows(UserInputException.class,
                () -> CsvReader.read(dir.resolve("nope.csv"), -1));
        contains(e, "nope.csv", "cannot read");
    }

    @Test
    void splitTakesTheLastRowsAsTestSet() {
        StringBuilder text = new StringBuilder("f,label\n");
        for (int i = 0; i < 10; i++) {
            text.append(i).append(',').append(i % 3).append('\n');
        }
        Path file = csv(text.toString());
        DataSplit s = CsvReader.readSplit(file, -1, 0.3);
        assertEquals(7, ((Dataset) s.train()).size());
        assertEquals(3, ((Dataset) s.test()).size());
        assertArrayEquals(new float[] {7, 8, 9}, ((Dataset) s.test()).x(), 0f);
        assertArrayEquals(new int[] {1, 2, 0}, ((Dataset) s.test()).y());
        assertEquals(3, ((Dataset) s.test()).classes());
        assertEquals("data/test", ((Dataset) s.test()).name());
        assertEquals(1, ((Dataset) CsvReader.readSplit(file, -1, CsvReader.DEFAULT_TEST_FRACTION).test()).size());
        assertEquals(2, ((Dataset) CsvReader.readSplit(file, -1, 0.11).test()).size(), "ceil(1.1) = 2");
    }

    @Test
    void testRowsIsCeilInDecimal() {
        assertEquals(7, CsvReader.testRows(10, 0.7));   // 10 * 0.7 = 7.000000000000001 in binary
        assertEquals(1, CsvReader.testRows(10, 0.1));
        assertEquals(1, CsvReader.testRows(5, 0.01));
        assertEquals(3, CsvReader.testRows(3, 0.999));
        assertEquals(6000, CsvReader.testRows(60000, 0.1));
    }

    @Test
    void badFractions() {
        Path file = csv("1,0\n2,1\n3,0\n");
        for (double bad : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            UserInputException e = assertThrows(UserInputException.class, () -> CsvReader.readSplit(file, -1, bad));
            contains(e, "test fraction: saw " + bad, "(0, 1)");
        }
        Path one = csv("1,1\n");
        contains(assertThrows(UserInputException.class, () -> CsvReader.readSplit(one, -1, 0.5)),
                "leave no training rows");
    }

    @Test
    void manyRowsGrowTheBuffers() {
        StringBuilder text = new StringBuilder();
        int rows = 5000;
        for (int i = 0; i < rows; i++) {
            text.append(i).append(",-").append(i).append(".5,").append(i % 7).append('\n');
        }
        Dataset d = CsvReader.read(csv(text.toString()), -1);
        assertEquals(rows, d.size());
        assertEquals(7, d.classes());
        for (int i = 0; i < rows; i++) {
            assertEquals(i, d.x()[2 * i], 0f, "row " + i);
            assertEquals(-i - 0.5f, d.x()[2 * i + 1], 0f, "row " + i);
            assertEquals(i % 7, d.y()[i], "row " + i);
        }
    }

    /** Quoting as RFC 4180 (jackson-dataformat-csv): a quoted field is one field, its commas included. */
    @Test
    void quotedFieldsAreFields() {
        Dataset d = CsvReader.read(csv("\"x, the first\",\"y\",label\n\"1.5\",2,\"0\"\n3,\"4\",1\n"),
                CsvReader.LAST_COLUMN);
        assertArrayEquals(new float[] {1.5f, 2, 3, 4}, d.x(), 0f);
        assertArrayEquals(new int[] {0, 1}, d.y());
        DataFormatException e = fails("1,2,0\n3,\"1,5\",1\n", CsvReader.LAST_COLUMN);
        contains(e, "row 2 column 2: saw \"1,5\", expected a number");
        e = fails("1,2,0\n3,\"4,1\n5,6,0\n", CsvReader.LAST_COLUMN);
        contains(e, "well-formed CSV");
    }

    @Test
    void utf16WithByteOrderMarkIsRead() throws IOException {
        Path file = dir.resolve("u16.csv");
        Files.write(file, "\uFEFFa,b\n1,0\n2,1\n".getBytes(StandardCharsets.UTF_16BE));
        Dataset d = CsvReader.read(file, CsvReader.LAST_COLUMN);
        assertArrayEquals(new float[] {1, 2}, d.x(), 0f);
        assertArrayEquals(new int[] {0, 1}, d.y());
    }

    /** A file without line ends or commas (csv:/dev/zero) is refused at a bound, not read into memory. */
    @Test
    void endlessFieldsAndRowsAreBounded() {
        java.io.InputStream zeros = new java.io.InputStream() {
            @Override
            public int read() { return '7'; }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) '7');
                return len;
            }
        };
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> CsvReader.read(zeros, "/dev/sevens", "x", CsvReader.LAST_COLUMN));
        contains(e, "/dev/sevens", "row 1", "longer than " + CsvReader.MAX_FIELD_CHARS);
        java.io.InputStream commas = new java.io.InputStream() {
            private long n;

            @Override
            public int read() { return n++ % 2 == 0 ? '1' : ','; }
        };
        e = assertThrows(DataFormatException.class,
                () -> CsvReader.read(commas, "/dev/commas", "x", CsvReader.LAST_COLUMN));
        contains(e, "/dev/commas", "row 1", "columns");
    }
}
