package dev.mobilenetspark.job.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Values for options not given on the command line: first from {@code --conf-file} (a
 * properties file keyed by long option name, e.g. {@code batch-size=64}), then from Spark's
 * configuration ({@code spark.mobilenet.batch-size=64}, e.g. through spark-submit's --conf),
 * then the option's own default. So a run can be reproduced from one file, and the command
 * line always wins. {@code infer}'s keys are {@code spark.mobilenet.NAME}; every other
 * command's are {@code spark.mobilenet.COMMAND.NAME}, so that {@code train-head}'s
 * {@code --labels TABLE} never takes {@code infer}'s labels file.
 *
 * <p>Spark's configuration is read as spark-submit hands it to the driver, as {@code spark.*}
 * system properties, without Spark's own classes: {@code --help}, {@code describe} and a bad
 * argument start nothing of Spark's (and print none of its warnings).
 */
final class OptionDefaults implements CommandLine.IDefaultValueProvider {

    static final String SPARK_PREFIX = "spark.mobilenet.";
    static final String CONF_FILE = "conf-file";

    private final Properties file;
    private final String fileName;
    private final Properties spark;
    private final String prefix;
    private final Set<String> otherCommands;

    private OptionDefaults(Properties file, String fileName, Properties spark, String prefix, Set<String> otherCommands) {
        this.file = file;
        this.fileName = fileName;
        this.spark = spark;
        this.prefix = prefix;
        this.otherCommands = otherCommands;
    }

    /**
     * The defaults of {@code command}: {@code infer}'s under {@code spark.mobilenet.}, whose
     * {@code otherCommands} have key spaces of their own; any other command's under
     * {@code spark.mobilenet.COMMAND.}, and only there: the conf file is {@code infer}'s.
     */
    OptionDefaults forCommand(String command, Set<String> otherCommands) {
        return command.equals("infer") ? new OptionDefaults(file, fileName, spark, SPARK_PREFIX, otherCommands)
                : new OptionDefaults(new Properties(), null, spark, SPARK_PREFIX + command + ".", Set.of());
    }

    /** Finds {@code --conf-file} among the arguments (or in Spark's configuration) and reads it. */
    static OptionDefaults forArguments(String[] args) {
        Properties spark = System.getProperties();
        String confFile = spark.getProperty(SPARK_PREFIX + CONF_FILE);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--" + CONF_FILE) && i + 1 < args.length) {
                confFile = args[i + 1];
            } else if (args[i].startsWith("--" + CONF_FILE + "=")) {
                confFile = args[i].substring(CONF_FILE.length() + 3);
            }
        }
        Properties props = new Properties();
        if (confFile != null) {
            try (Reader in = Files.newBufferedReader(Path.of(confFile), StandardCharsets.UTF_8)) {
                props.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read conf file " + confFile + ": " + e.getMessage());
            }
        }
        return new OptionDefaults(props, confFile, spark, SPARK_PREFIX, Set.of());
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        String key = option.longestName().replaceFirst("^--", "");
        String value = file.getProperty(key);
        return value != null ? value.trim() : spark.getProperty(prefix + key);
    }

    private boolean isOtherCommands(String key) {
        return otherCommands.stream().anyMatch(c -> key.startsWith(SPARK_PREFIX + c + "."));
    }

    /** Fails on keys that name no option of {@code command}: a typo must not pass silently. */
    void checkKeys(CommandLine.Model.CommandSpec command) {
        Set<String> known = new TreeSet<>();
        for (OptionSpec o : command.options()) {
            known.add(o.longestName().replaceFirst("^--", ""));
        }
        for (String key : file.stringPropertyNames()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("conf file " + fileName + " has unknown option '" + key + "'");
            }
        }
        for (String key : spark.stringPropertyNames()) {
            if (key.startsWith(prefix) && !isOtherCommands(key) && !known.contains(key.substring(prefix.length()))) {
                throw new IllegalArgumentException("unknown option in Spark configuration: " + key);
            }
        }
    }
}
