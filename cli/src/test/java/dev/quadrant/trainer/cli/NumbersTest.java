package dev.quadrant.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NumbersTest {

    @Test
    void fourDecimalsInRangeScientificBeyond() {
        String[][] cases = {
            {"0.0000", "0"}, {"0.1235", "0.12345"}, {"-2.5000", "-2.5"}, {"999999.0000", "999999"},
            {"1.0000e+06", "1e6"}, {"1.5371e+35", "153707943564561270000000000000000000.0"},
            {"-1.5371e+35", "-1.5370794356456127e35"}, {"0.0001", "1e-4"}, {"9.9900e-05", "9.99e-5"},
            {"1.0000e+06", "999999.99996"}, {"NaN", "NaN"}, {"Infinity", "Infinity"}, {"-Infinity", "-Infinity"},
        };
        for (String[] c : cases) {
            assertEquals(c[0], Numbers.readable(Double.parseDouble(c[1])), "readable(" + c[1] + ")");
        }
    }
}
