/*
 * Copyright 2026 The Kiln Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 * except in compliance with the License. You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the
 * License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
 * either express or implied. See the License for the specific language governing permissions
 * and limitations under the License.
 */

package dev.kiln.e2e;

import java.util.Locale;

/**
 * Prints what a scenario measured on lines starting {@code E2E-FIGURE}, for docs/benchmarks.md:
 * {@code E2E-FIGURE <scenario> <name>=<value> <unit>}.
 */
final class Figures {

    private Figures() {}

    static void print(String scenario, String name, double value, String unit) {
        System.out.println(
                String.format(
                        Locale.ROOT, "E2E-FIGURE %s %s=%.1f %s", scenario, name, value, unit));
    }
}
