# Dot-sourced by the PowerShell scripts in scripts/ (the Windows forms of scripts/test, demo and
# mp4j; scripts/lib/jdk.sh is the same for bash): finds a JDK >= 25 and sets JAVA_HOME and PATH.
# Order: $env:JAVA_HOME if it is new enough, then the usual install directories (Eclipse
# Adoptium, Microsoft, Zulu, Oracle, Amazon Corretto, Scoop; /usr/lib/jvm and macOS's
# /Library/Java when PowerShell runs there), newest first. Stops with a clear message when none
# is found. Not run by this project yet (no PowerShell on its machines); the GitHub workflow's
# Windows job runs it.

$script:Mp4jJdkNeed = 25

function Get-Mp4jJavaFeature([string]$Home_) {
    # The feature version of the JDK at $Home_ (from its release file), or 0.
    $exe = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'java.exe' } else { 'java' }
    $javac = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'javac.exe' } else { 'javac' }
    if (-not $Home_ -or -not (Test-Path (Join-Path $Home_ "bin/$exe")) -or -not (Test-Path (Join-Path $Home_ "bin/$javac"))) {
        return 0
    }
    $release = Join-Path $Home_ 'release'
    if (Test-Path $release) {
        $m = Select-String -Path $release -Pattern '^JAVA_VERSION="(\d+)' | Select-Object -First 1
        if ($m) { return [int]$m.Matches[0].Groups[1].Value }
    }
    return 0
}

function Find-Mp4jJdk([switch]$Quiet) {
    $best = $null; $bestV = 0
    if ($env:JAVA_HOME) {
        $v = Get-Mp4jJavaFeature $env:JAVA_HOME
        if ($v -ge $script:Mp4jJdkNeed) { $best = $env:JAVA_HOME; $bestV = $v }
    }
    if (-not $best) {
        $roots = @()
        foreach ($pf in @($env:ProgramFiles, ${env:ProgramFiles(x86)}, $env:ProgramW6432) | Where-Object { $_ } | Select-Object -Unique) {
            $roots += @('Eclipse Adoptium', 'Microsoft', 'Zulu', 'Java', 'Amazon Corretto', 'BellSoft') | ForEach-Object { Join-Path $pf $_ }
        }
        if ($env:USERPROFILE) { $roots += Join-Path $env:USERPROFILE 'scoop/apps' }
        $roots += @('/usr/lib/jvm', '/Library/Java/JavaVirtualMachines')
        foreach ($root in $roots) {
            if (-not (Test-Path $root)) { continue }
            foreach ($dir in Get-ChildItem -Path $root -Directory -ErrorAction SilentlyContinue) {
                foreach ($cand in @($dir.FullName, (Join-Path $dir.FullName 'Contents/Home'), (Join-Path $dir.FullName 'current'))) {
                    $v = Get-Mp4jJavaFeature $cand
                    if ($v -ge $script:Mp4jJdkNeed -and $v -gt $bestV) { $best = $cand; $bestV = $v }
                }
            }
        }
    }
    if (-not $best) {
        $was = if ($env:JAVA_HOME) { $env:JAVA_HOME } else { 'unset' }
        [Console]::Error.WriteLine("error: multiprocessing4j needs a JDK >= $($script:Mp4jJdkNeed); none found in JAVA_HOME ($was) or the usual install directories.")
        [Console]::Error.WriteLine('       Install one (for example Temurin 25: winget install EclipseAdoptium.Temurin.25.JDK) or set JAVA_HOME to it.')
        exit 1
    }
    $env:JAVA_HOME = $best
    $env:PATH = (Join-Path $best 'bin') + [IO.Path]::PathSeparator + $env:PATH
    # Maven's own libraries call sun.misc.Unsafe; keep JDK 25's warnings about that out of the output.
    $env:MAVEN_OPTS = "$env:MAVEN_OPTS --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED".Trim()
    if (-not $Quiet) { [Console]::Error.WriteLine("using JDK $bestV at $best") }
}

function Assert-Mp4jMaven {
    if (-not (Get-Command mvn -ErrorAction SilentlyContinue)) {
        [Console]::Error.WriteLine('error: Maven (mvn) is not on PATH; install it (for example: choco install maven) and open a new shell.')
        exit 1
    }
}
