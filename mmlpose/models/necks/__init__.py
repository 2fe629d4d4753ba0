# Copyright (c) mmlpose contributors. All rights reserved.
