#!/usr/bin/env bash
# big-msi.sh SIZE_MB OUT.msi: build an MSI around SIZE_MB of random bytes
# with wixl (x64, one file, stored cabinet of incompressible data), for the
# benchmarks. Leaves payload.bin next to OUT.msi for callers that reuse it.
set -euo pipefail
size_mb=$1 out=$2
dir=$(dirname "$out")
head -c $((size_mb << 20)) /dev/urandom > "$dir/payload.bin"
cat > "$dir/big.wxs" <<'WXS'
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Bench" Language="1033" Version="1.0.0" Manufacturer="msiforge bench"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="product.cab" EmbedCab="yes"/>
    <Property Id="RUNATSTARTUP" Value="0"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="Bench">
          <Component Id="Main" Guid="AAAAAAAA-1234-1234-1234-123456789012">
            <File Id="Payload" Source="payload.bin" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Main"/></Feature>
  </Product>
</Wix>
WXS
(cd "$dir" && wixl -a x64 -o "$(basename "$out")" big.wxs)
