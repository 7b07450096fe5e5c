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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a cluster's {@code conf/}: {@code config.yaml} (Flink 2.x's configuration file, flat keys)
 * and the log4j configurations of the daemons ({@code log4j.properties}) and of the clients ({@code
 * log4j-cli.properties}), both logging to the file named by {@code -Dlog.file}.
 */
final class FlinkConf {

    private FlinkConf() {}

    static void write(Path conf, Map<String, String> config) throws IOException {
        StringBuilder yaml = new StringBuilder("# Written by the Kiln e2e tests.\n");
        for (Map.Entry<String, String> e : new TreeMap<>(config).entrySet()) {
            yaml.append(e.getKey()).append(": ").append(quote(e.getValue())).append('\n');
        }
        Files.writeString(conf.resolve("config.yaml"), yaml);
        String log4j =
                String.join(
                        "\n",
                        "monitorInterval = 0",
                        "rootLogger.level = INFO",
                        "rootLogger.appenderRef.file.ref = MainAppender",
                        "logger.kiln.name = dev.kiln",
                        "logger.kiln.level = INFO",
                        "logger.pekko.name = org.apache.pekko",
                        "logger.pekko.level = WARN",
                        "logger.netty.name = org.apache.flink.shaded.netty4",
                        "logger.netty.level = WARN",
                        "appender.main.name = MainAppender",
                        "appender.main.type = File",
                        "appender.main.append = true",
                        "appender.main.fileName = ${sys:log.file}",
                        "appender.main.layout.type = PatternLayout",
                        "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
                        "");
        Files.writeString(conf.resolve("log4j.properties"), log4j);
        Files.writeString(conf.resolve("log4j-cli.properties"), log4j);
        Files.writeString(conf.resolve("log4j-console.properties"), log4j);
    }

    private static String quote(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
